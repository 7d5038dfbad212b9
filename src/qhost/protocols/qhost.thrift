/*
 * qhost Thrift interface.
 *
 * Part 1 keeps Qrisp's Thrift wire contract (qrisp 0.1 - 0.4.10,
 * qrisp/interface/thrift_interface/codegen_source/qrisp_interface.thrift) field for field:
 * same struct field ids and types, same method names, argument ids and result types, so a
 * client generated from Qrisp's IDL talks to this service unchanged. Struct and service
 * names never travel on the wire; field ids, types and method names do.
 *
 * Part 2 adds what Qrisp lacked: QASM on a named backend, asynchronous jobs, backend
 * listing, and declared errors. Counts there are i64.
 *
 * Regenerate src/qhost/protocols/thrift_gen/ with scripts/gen_thrift.sh after editing this file.
 */

namespace py qhost.protocols.thrift_gen

// ---------------------------------------------------------------- Qrisp's structs (unchanged)

struct Qubit {
  1: string identifier
}

struct Clbit {
  1: string identifier
}

struct Operation {
  1: string name,
  2: i32 num_qubits,
  3: i32 num_clbits,
  4: list<double> params,
  5: optional QuantumCircuit definition
}

struct Instruction {
  1: Operation op,
  2: list<Qubit> qubits,
  3: list<Clbit> clbits
}

struct QuantumCircuit {
  1: list<Qubit> qubits,
  2: list<Clbit> clbits,
  3: list<Instruction> data,
  4: bool init = true
}

struct ConnectivityEdge {
  1: Qubit qb1,
  2: Qubit qb2
}

struct BackendStatus {
  1: string name,
  2: bool online,
  3: optional list<Qubit> qubit_list,
  4: optional list<Operation> elementary_ops,
  5: optional list<ConnectivityEdge> connectivity_map
}

// ---------------------------------------------------------------- qhost additions

/** Every user error: code is the qhost.errors slug (invalid_circuit, job_not_found ...),
    status the matching HTTP status, message the text naming the id and the valid choices. */
exception BackendError {
  1: string code,
  2: string message,
  3: i32 status
}

/** One virtual backend of the catalog, "<device>@<executor>". */
struct BackendInfo {
  1: string name,
  2: string device,
  3: string executor,
  4: i32 num_qubits,
  5: bool available,
  6: string reason
}

/** A job's state. Times are ISO 8601 UTC; absent until they happen. */
struct JobInfo {
  1: string id,
  2: string status,
  3: string program,
  4: optional string backend,
  5: string created_at,
  6: optional string started_at,
  7: optional string finished_at,
  8: optional string error
}

/** A job's outcome: counts (i64) when it completed, result_json the program's raw output. */
struct JobResult {
  1: JobInfo job,
  2: optional map<string, i64> counts,
  3: optional string result_json
}

service BackendService {
  /** Qrisp's method. Arguments 1-3 and the i32 result are Qrisp's wire contract. Argument 4 is
      ours: clients generated from this IDL send typed_errors=true and receive BackendError
      (field 1 of the result); Qrisp's clients never send it and get errors as a
      TApplicationException whose message is "<code>: <message>" (a Qrisp client cannot
      decode a declared exception). Counts above 2^31-1 are refused, not truncated. */
  map<string, i32> run(1: QuantumCircuit qc, 2: i32 shots, 3: string token, 4: bool typed_errors)
      throws (1: BackendError error),

  /** Qrisp's method: name and online state of the server's default backend. */
  BackendStatus ping(),

  /** Run OpenQASM 2/3 text and wait for the counts. backend "" = the server's default
      (its run_func). timeout in seconds (0 = the server's default). */
  map<string, i64> run_qasm(1: string qasm, 2: i64 shots, 3: string backend, 4: string token,
                            5: double timeout)
      throws (1: BackendError error),

  /** Queue a job and return at once with its id. */
  JobInfo submit(1: string qasm, 2: i64 shots, 3: string backend, 4: string token)
      throws (1: BackendError error),

  /** token: the API key the job was submitted with (when the server has keys). */
  JobInfo status(1: string job_id, 2: string token) throws (1: BackendError error),

  /** Wait up to timeout seconds (0 = do not wait) and return the job with its counts when
      it completed; a failed or cancelled job raises BackendError naming why. */
  JobResult result(1: string job_id, 2: double timeout, 3: string token) throws (1: BackendError error),

  JobInfo cancel(1: string job_id, 2: string token) throws (1: BackendError error),

  list<BackendInfo> backends() throws (1: BackendError error)
}
