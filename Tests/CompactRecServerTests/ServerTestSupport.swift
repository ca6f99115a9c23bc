import CompactRecKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import CompactRecServer

/// Runs `body` against a server of `models` through Hummingbird's in-process test client.
func withServer(
  _ models: [(String, String)], adminToken: String? = nil, limits: ServerLimits = ServerLimits(),
  batchWait: Duration = .milliseconds(1),
  _ body: @Sendable (any TestClientProtocol, RecommendationServer) async throws -> Void
) async throws {
  var configuration = ServerConfiguration(models: models.map { ModelSource(name: $0.0, path: $0.1) })
  configuration.adminToken = adminToken
  configuration.limits = limits
  configuration.watchInterval = nil
  configuration.batchWait = batchWait
  var quiet = Logger(label: "compactrec.serve.test")
  quiet.logLevel = .critical  // refused reloads are tested, not logged
  let server = try RecommendationServer(configuration: configuration, logger: quiet)
  try await server.application().test(.router) { client in try await body(client, server) }
}

extension TestClientProtocol {
  /// POSTs `json` (any JSON-serializable value, or a String sent as is) to `uri`.
  func post(_ uri: String, _ json: Any, headers: HTTPFields = [:]) async throws -> TestResponse {
    let text = try json as? String ?? String(decoding: JSONSerialization.data(withJSONObject: json), as: UTF8.self)
    return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: text))
  }

  func get(_ uri: String) async throws -> TestResponse { try await execute(uri: uri, method: .get) }
}

extension TestResponse {
  /// The body as a JSON object (a failed expectation when it is not one).
  var object: [String: Any] {
    let value = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))
    let object = value as? [String: Any]
    #expect(object != nil, "not a JSON object: \(String(buffer: body))")
    return object ?? [:]
  }

  /// The item ids of a recommendation answer.
  var items: [String] { (object["items"] as? [[String: Any]] ?? []).compactMap { $0["item"] as? String } }

  /// The error code of an error answer.
  var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
}

/// Checks an error answer: status, JSON body `{"error": {"code", "message"}}` with `code`.
func expectError(
  _ response: TestResponse, _ status: HTTPResponse.Status, _ code: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(response.status == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
  let error = response.object["error"] as? [String: Any]
  #expect(error?["code"] as? String == code, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
  #expect((error?["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
  #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
}

/// Holds one of `server`'s scoring slots until `release` finishes, as a request in progress
/// would. Tests that act while the server is busy use it instead of a slow request, so that
/// no timing window decides the outcome: the slot stays taken however the machine schedules
/// the test's tasks.
func holdScoringSlot(_ server: RecommendationServer, until release: AsyncStream<Void>) async throws {
  try await server.admission.perform(arrival: .now, holdsSlot: true) {
    for await _ in release { break }
  }
}

/// Waits until `condition` holds; a failed expectation after a deadline generous enough for a
/// loaded CI machine.
func waitUntil(
  _ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool
) async throws {
  let deadline = ContinuousClock.now + .seconds(300)
  while !condition() {
    guard ContinuousClock.now < deadline else {
      Issue.record("never happened: \(what)", sourceLocation: sourceLocation)
      return
    }
    try await Task.sleep(for: .milliseconds(5))
  }
}
