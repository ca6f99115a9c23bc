import Foundation
import Testing

@testable import CompactRecKit

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// `compactrec serve` as an operator runs it: the real binary on a free loopback port, spoken
/// to over HTTP, reloaded by a replaced file and by SIGHUP, stopped by SIGTERM (mid-request too).
@Suite("compactrec serve", .serialized)
struct ServeCommandTests {
  private static let binary = CompactRecTool.path
  /// A client without a response cache: every poll of `/metrics` must reach the server.
  private static let session: URLSession = {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.urlCache = nil
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    return URLSession(configuration: configuration)
  }()
  /// How long a test waits for something that must happen. A loaded CI machine has taken more
  /// than 15 s for a step that takes 1 s here, so no outcome hangs on a tight window; the waits
  /// return as soon as their condition holds.
  fileprivate static let patience: Double = 300

  /// A running `compactrec serve`: its process, port and everything it wrote to standard error.
  private final class Server: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var errText = ""
    private(set) var port = 0

    init(_ arguments: [String]) throws {
      process.executableURL = URL(fileURLWithPath: ServeCommandTests.binary!)
      process.arguments = ["serve", "--port", "0"] + arguments
      let err = Pipe()
      process.standardError = err
      process.standardOutput = FileHandle.nullDevice
      process.standardInput = FileHandle.nullDevice
      err.fileHandleForReading.readabilityHandler = { [weak self] handle in
        let data = handle.availableData
        guard let self, !data.isEmpty else { return }
        self.lock.withLock { self.errText += String(decoding: data, as: UTF8.self) }
      }
      try process.run()
      let deadline = Date().addingTimeInterval(ServeCommandTests.patience)
      while Date() < deadline && process.isRunning {
        let text = lock.withLock { errText }
        if let range = text.range(of: "listening on http://127.0.0.1:") {
          port = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
          if port > 0 { return }
        }
        Thread.sleep(forTimeInterval: 0.05)
      }
      throw CocoaError(.featureUnsupported, userInfo: [NSDebugDescriptionErrorKey: "server did not start: \(stderr)"])
    }

    var stderr: String { lock.withLock { errText } }

    /// Sends a request; returns the status and the body as a JSON object.
    func call(_ method: String, _ path: String, _ body: String? = nil, token: String? = nil) async throws -> (
      Int, [String: Any]
    ) {
      var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
      request.httpMethod = method
      request.timeoutInterval = ServeCommandTests.patience
      if let body { request.httpBody = Data(body.utf8) }
      if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
      let (data, response) = try await ServeCommandTests.session.data(for: request)
      let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
      return ((response as! HTTPURLResponse).statusCode, object)
    }

    /// Sends a GET; returns the status and the body as text.
    func text(_ path: String) async throws -> (Int, String) {
      let url = URL(string: "http://127.0.0.1:\(port)\(path)")!
      let (data, response) = try await ServeCommandTests.session.data(from: url)
      return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    func checksum(_ model: String) async throws -> String {
      try await call("GET", "/v1/models/\(model)").1["checksum"] as? String ?? ""
    }

    /// Waits (at most `seconds`) until `condition` holds.
    func wait(seconds: Double, until condition: () async throws -> Bool) async throws -> Bool {
      let deadline = Date().addingTimeInterval(seconds)
      while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
      }
      return false
    }

    deinit { if process.isRunning { process.terminate() } }
  }

  /// Trains a small model of `kind` on a synthetic log into `folder/name.crm`.
  private func train(_ kind: String, _ name: String, in folder: DataTestFolder, seed: Int = 1) throws -> String {
    var text = "user,item,time\n"
    for u in 0..<40 { for t in 0..<8 { text += "u\(u),i\((u * 7 + t * 3) % 30),\(t)\n" } }
    let log = folder.write("log.csv", text)
    let path = folder.path + "/\(name).crm"
    let run = try CompactRecTool.run(
      [
        "train", "--data", log, "--split", "loo", "--model", kind, "--epochs", "2", "--seed", String(seed), "--out",
        path,
      ])
    #expect(run.status == 0, "\(run.err)")
    return path
  }

  /// Replaces `target` by `source` as a deployment does: copy beside, rename over.
  private func replace(_ target: String, with source: String) throws {
    try? FileManager.default.removeItem(atPath: target + ".new")
    try FileManager.default.copyItem(atPath: source, toPath: target + ".new")
    #expect(rename(target + ".new", target) == 0)
  }

  @Test(
    "the binary serves over HTTP, reloads on a replaced file and on SIGHUP, and exits 0 on SIGTERM",
    .enabled(if: binary != nil))
  func liveServer() async throws {
    let folder = DataTestFolder()
    let mf = try train("mf-bpr", "mf", in: folder)
    let mfOther = try train("mf-bpr", "mf-other", in: folder, seed: 2)
    let seq = try train("gru4rec", "seq", in: folder)
    let seqOther = try train("gru4rec", "seq-other", in: folder, seed: 2)
    let token = folder.write("token", "let-me-in\n")
    let server = try Server([
      "graph=" + mf, seq, "--admin-token-file", token, "--watch-interval", "0.2", "--queue-timeout", "300",
    ])
    let ready = try await server.call("GET", "/readyz")
    #expect(ready.0 == 200 && (ready.1["models"] as? [Any])?.count == 2)
    let answer = try await server.call("POST", "/v1/models/graph/recommend", #"{"user": "u3", "k": 4}"#)
    #expect(answer.0 == 200 && (answer.1["items"] as? [Any])?.count == 4)
    #expect(try await server.call("POST", "/v1/models/graph/recommend", #"{"user": "nobody"}"#).0 == 404)
    #expect(try await server.call("POST", "/v1/admin/reload", "{}").0 == 401)
    #expect(try await server.call("POST", "/v1/admin/reload", "{}", token: "let-me-in").0 == 200)

    // A replaced file goes into service within the watch interval.
    let before = try await server.checksum("graph")
    try replace(mf, with: mfOther)
    #expect(try await server.wait(seconds: Self.patience) { try await server.checksum("graph") != before })

    // SIGHUP reloads every model (the watcher would reload this one too; the log tells which
    // did).
    let seqBefore = try await server.checksum("seq")
    try replace(seq, with: seqOther)
    kill(server.process.processIdentifier, SIGHUP)
    #expect(try await server.wait(seconds: Self.patience) { try await server.checksum("seq") != seqBefore })
    #expect(try await server.wait(seconds: Self.patience) { server.stderr.contains("SIGHUP: reloading every model") })

    // A damaged replacement is refused, logged, and the old model keeps answering.
    let serving = try await server.checksum("seq")
    try Data("CRM but not really".utf8).write(to: URL(fileURLWithPath: seq + ".bad"))
    #expect(rename(seq + ".bad", seq) == 0)
    #expect(try await server.wait(seconds: Self.patience) { server.stderr.contains("reload refused") })
    #expect(try await server.checksum("seq") == serving)
    #expect(try await server.call("POST", "/v1/models/seq/recommend", #"{"user": "u3"}"#).0 == 200)

    kill(server.process.processIdentifier, SIGTERM)
    #expect(try await server.wait(seconds: Self.patience) { !server.process.isRunning })
    #expect(server.process.terminationStatus == 0, "\(server.stderr)")
  }

  @Test(
    "SIGTERM answers a sequential request still waiting for its batch, then the process exits 0",
    .enabled(if: binary != nil))
  func shutdownMidRequest() async throws {
    let folder = DataTestFolder()
    let seq = try train("gru4rec", "seq", in: folder)
    // A 10-minute batch window: the request is in flight until SIGTERM, however slow the
    // machine, and only the drain at shutdown can answer it before the window ends.
    let server = try Server([seq, "--batch-wait-ms", "600000", "--queue-timeout", "900"])
    let started = ContinuousClock.now
    async let slow = server.call("POST", "/v1/models/seq/recommend", #"{"history": ["i1", "i2"], "k": 3}"#)
    #expect(
      try await server.wait(seconds: Self.patience) {
        let (_, metrics) = try await server.text("/metrics")
        return metrics.contains("compactrec_requests_in_flight 1.0")
      })
    kill(server.process.processIdentifier, SIGTERM)
    let finished = try await slow
    #expect(finished.0 == 200 && (finished.1["items"] as? [Any])?.count == 3)
    #expect(ContinuousClock.now - started < .seconds(Self.patience))
    #expect(try await server.wait(seconds: Self.patience) { !server.process.isRunning })
    #expect(server.process.terminationStatus == 0, "\(server.stderr)")
  }

  @Test("a bad model file or token file stops the server before it listens", .enabled(if: binary != nil))
  func setupErrors() throws {
    let folder = DataTestFolder()
    let junk = folder.write("junk.crm", "not a model")
    let run = try CompactRecTool.run(["serve", junk, "--port", "0"])
    #expect(run.status != 0 && run.err.contains("junk.crm"), "\(run.err)")
    let empty = folder.write("empty-token", "\n")
    let model = try train("mf-bpr", "mf", in: folder)
    let tokenRun = try CompactRecTool.run(["serve", model, "--port", "0", "--admin-token-file", empty])
    #expect(tokenRun.status == 64 && tokenRun.err.contains("--admin-token-file"), "\(tokenRun.err)")
    let same = try CompactRecTool.run(["serve", "a=" + model, "a=" + model, "--port", "0"])
    #expect(same.status == 64 && same.err.contains("'a'"), "\(same.err)")
  }
}
