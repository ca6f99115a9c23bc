import CompactRecKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CompactRecServer

@Suite("every bad request gets its status and a JSON error, never a 500")
struct ErrorAnswerTests {
  @Test("malformed JSON, wrong shapes, unknown names, k and history limits, methods and sizes")
  func errorClasses() async throws {
    try await withServer([("mf", ServedModels.mf), ("seq", ServedModels.sasrec)]) { client, _ in
      let recommend = "/v1/models/mf/recommend"
      expectError(try await client.post(recommend, "{\"user\": "), .badRequest, "malformed_request")
      expectError(try await client.post(recommend, ""), .badRequest, "malformed_request")
      expectError(try await client.post(recommend, ["user": 5]), .unprocessableContent, "invalid_request")
      expectError(
        try await client.post(recommend, ["k": "ten", "user": "u1"]), .unprocessableContent, "invalid_request")
      expectError(try await client.post("/v1/models/nope/recommend", ["user": "u1"]), .notFound, "unknown_model")
      expectError(try await client.get("/v1/models/nope"), .notFound, "unknown_model")
      expectError(try await client.get("/v2/anything"), .notFound, "not_found")
      expectError(try await client.post(recommend, ["user": "ghost"]), .notFound, "unknown_user")
      for k in [0, -3, 1001] {
        expectError(try await client.post(recommend, ["user": "u1", "k": k]), .unprocessableContent, "invalid_request")
      }
      expectError(try await client.post(recommend, ["history": [String]()]), .unprocessableContent, "invalid_request")
      expectError(try await client.post(recommend, ["history": ["x", "y"]]), .unprocessableContent, "invalid_request")
      expectError(try await client.post(recommend, [String: Any]()), .unprocessableContent, "invalid_request")
      expectError(
        try await client.post(recommend, ["user": "u1", "fallback": "random"]), .unprocessableContent, "invalid_request"
      )

      let wrongMethod = try await client.execute(uri: recommend, method: .get)
      expectError(wrongMethod, .methodNotAllowed, "method_not_allowed")
      #expect(wrongMethod.headers[.allow] == "POST")
      expectError(try await client.execute(uri: "/v1/models", method: .delete), .methodNotAllowed, "method_not_allowed")

      let huge = "{\"history\": [" + String(repeating: "\"123456789\",", count: 120_000) + "\"1\"]}"
      expectError(try await client.post(recommend, huge), .contentTooLarge, "body_too_large")
    }
  }

  @Test("an unknown user with \"fallback\": \"popular\" gets the most frequent unseen items")
  func popularFallback() async throws {
    let data = ServedModels.data
    try await withServer([("mf", ServedModels.mf), ("bare", ServedModels.mfNoHistory)]) { client, _ in
      let response = try await client.post(
        "/v1/models/mf/recommend", ["user": "ghost", "fallback": "popular", "k": 5, "deny": ["i0"]])
      #expect(response.status == .ok)
      #expect(response.object["fallback"] as? String == "popular")
      var counts = [Int](repeating: 0, count: data.itemCount)
      for row in data.historyBeforeTest() { for i in row { counts[Int(i)] += 1 } }
      let want = counts.indices.filter { data.items[Int32($0)] != "i0" }.sorted {
        (counts[$0], -$0) > (counts[$1], -$1)
      }
      .prefix(5).map { data.items[Int32($0)] }
      #expect(response.items == Array(want))
      // Without stored histories there are no counts to fall back on.
      expectError(
        try await client.post("/v1/models/bare/recommend", ["user": "ghost", "fallback": "popular"]),
        .unprocessableContent, "invalid_request")
    }
  }

  @Test("a sequential model saved without histories asks known users for their history")
  func noHistories() async throws {
    let folder = ServedModels.folder
    let path = folder + "/seq-nohistory.crm"
    try TrainedModel.load(from: ServedModels.sasrec).withoutHistories().save(to: path)
    try await withServer([("seq", path)]) { client, _ in
      expectError(
        try await client.post("/v1/models/seq/recommend", ["user": "u1"]), .unprocessableContent, "invalid_request")
      let response = try await client.post("/v1/models/seq/recommend", ["user": "u1", "history": ["i3", "i4"]])
      #expect(response.status == .ok && response.items.count == 20)
    }
  }

  @Test("admission control: past its capacity a request gets 503 with Retry-After")
  func overload() async throws {
    var limits = ServerLimits()
    limits.concurrentScoring = 1
    limits.maxQueued = 0
    let admission = AdmissionControl(limits: limits)
    let (started, startedGo) = AsyncStream.makeStream(of: Void.self)
    let (release, releaseGo) = AsyncStream.makeStream(of: Void.self)
    async let first: Void = admission.admit(arrival: .now) {
      startedGo.yield()
      for await _ in release { break }
    }
    for await _ in started { break }
    await #expect(throws: APIError.overloaded("the server is at its limit of 1 requests in progress")) {
      try await admission.admit(arrival: .now) {}
    }
    releaseGo.yield()
    try await first
    try await admission.admit(arrival: .now) {}  // free again
    let late = ContinuousClock.now - limits.queueTimeout - .seconds(1)
    let error = await #expect(throws: APIError.self) { try await admission.admit(arrival: late) {} }
    #expect(error?.status == .serviceUnavailable && error?.headers[.retryAfter] == "1")
    #expect(admission.shedCount == 2)
  }

  @Test("model sources: NAME=PATH, or the file name without its extension")
  func modelSources() throws {
    #expect(
      try ModelSource(argument: "runs/gowalla-b1.crm") == ModelSource(name: "gowalla-b1", path: "runs/gowalla-b1.crm"))
    #expect(try ModelSource(argument: "g=runs/x.crm") == ModelSource(name: "g", path: "runs/x.crm"))
    #expect(try ModelSource(argument: "dir=a/b=c.crm") == ModelSource(name: "dir", path: "a/b=c.crm"))
    #expect(throws: ServerSetupError.self) { try ModelSource(argument: "bad name=x.crm") }
    #expect(throws: ServerSetupError.self) { try ModelSource(argument: "g=") }
    #expect(throws: ServerSetupError.self) {
      try RecommendationServer(
        configuration: ServerConfiguration(models: [
          ModelSource(name: "a", path: ServedModels.mf), ModelSource(name: "a", path: ServedModels.mf),
        ]))
    }
    #expect(throws: (any Error).self) {
      try RecommendationServer(
        configuration: ServerConfiguration(models: [ModelSource(name: "a", path: "/nonexistent.crm")]))
    }
  }
}
