import ArgumentParser
import CompactRecKit
import CompactRecServer
import Foundation
import Logging

struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve recommendations from model files over HTTP (JSON, original ids).",
    discussion: """
      Each model is served under a name: its file name without the extension, or NAME from
      NAME=PATH. Routes: GET /v1/models, GET /v1/models/NAME, POST /v1/models/NAME/recommend,
      POST /v1/models/NAME/recommend:batch, GET /v1/models/NAME/similar?item=ID, GET /healthz,
      GET /readyz, GET /metrics, GET /openapi.json, POST /v1/admin/reload.
      SIGHUP, the admin route or replacing a served file (atomic rename) reloads models without
      dropping requests; SIGTERM or SIGINT stops accepting, finishes requests in flight and exits 0.
      """)

  @Argument(help: "Model files (.crm), as PATH or NAME=PATH.")
  var models: [String]

  @Option(help: "Address to bind. Only loopback unless you say otherwise.")
  var host = "127.0.0.1"

  @Option(help: "Port to listen on; 0 picks a free one (printed on start).")
  var port = 8080

  @Option(help: "File holding the bearer token of the admin routes; without it they answer 403.")
  var adminTokenFile: String?

  @Option(help: "Requests that may wait for scoring before new ones get 503.")
  var maxQueued = ServerLimits().maxQueued

  @Option(help: "Seconds a request may wait for scoring before it gets 503.")
  var queueTimeout = 5.0

  @Option(help: "Most open connections.")
  var maxConnections = ServerLimits().maxConnections

  @Option(help: "Seconds between checks for replaced model files; 0 turns watching off.")
  var watchInterval = 1.0

  @Option(help: "Milliseconds a sequential request waits for others to share an encoder pass.")
  var batchWaitMs = 1.0

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535, not \(port)") }
    guard maxQueued >= 0 else { throw ValidationError("--max-queued must be 0 or more") }
    guard queueTimeout > 0, queueTimeout.isFinite else { throw ValidationError("--queue-timeout must be positive") }
    guard maxConnections >= 1 else { throw ValidationError("--max-connections must be 1 or more") }
    guard watchInterval >= 0, watchInterval.isFinite else {
      throw ValidationError("--watch-interval must be 0 or more")
    }
    guard batchWaitMs >= 0, batchWaitMs / 1000 < queueTimeout else {
      throw ValidationError("--batch-wait-ms must be 0 or more and below --queue-timeout")
    }
  }

  func run() async throws {
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    var configuration = ServerConfiguration(models: try models.map { try ModelSource(argument: $0) })
    configuration.host = host
    configuration.port = port
    configuration.adminToken = try adminTokenFile.map(Self.readToken)
    configuration.limits.maxQueued = maxQueued
    configuration.limits.queueTimeout = .milliseconds(Int64(queueTimeout * 1000))
    configuration.limits.maxConnections = maxConnections
    configuration.watchInterval = watchInterval > 0 ? .milliseconds(Int64(watchInterval * 1000)) : nil
    configuration.batchWait = .microseconds(Int64(batchWaitMs * 1000))
    let server: RecommendationServer
    do {
      server = try RecommendationServer(configuration: configuration)
    } catch let error as ServerSetupError {
      throw UsageFailure(error.description)
    } catch {
      throw CommandFailure(commandLineMessage(error))
    }
    let host = self.host
    try await server.run { port in
      FileHandle.standardError.write(Data("compactrec serve: listening on http://\(host):\(port)\n".utf8))
    }
  }

  /// The token in `path`, without surrounding white space; refuses a missing or empty file.
  private static func readToken(_ path: String) throws -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw UsageFailure("cannot read --admin-token-file '\(path)'")
    }
    let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !token.isEmpty, !token.contains(where: \.isWhitespace) else {
      throw UsageFailure("--admin-token-file '\(path)' must hold one token without spaces")
    }
    return token
  }
}
