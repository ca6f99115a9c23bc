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
      // An unknown user who asked for the fallback gets it even when the history is all unknown.
      let unknownHistory = try await client.post(
        "/v1/models/mf/recommend",
        ["user": "ghost", "history": ["nope"], "fallback": "popular", "k": 5, "deny": ["i0"]])
      #expect(unknownHistory.status == .ok && unknownHistory.items == Array(want))
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

  @Test("admission control: past its capacity, or past the queue timeout, a request gets 503")
  func admission() async throws {
    var limits = ServerLimits()
    limits.concurrentScoring = 1
    limits.maxQueued = 1
    limits.queueTimeout = .milliseconds(150)
    let admission = AdmissionControl(limits: limits)
    let (started, startedGo) = AsyncStream.makeStream(of: Void.self)
    let (release, releaseGo) = AsyncStream.makeStream(of: Void.self)
    async let first: Void = admission.perform(arrival: .now, holdsSlot: true) {
      startedGo.yield()
      for await _ in release { break }
    }
    for await _ in started { break }
    // The second waits for the only slot and is turned away when its time is up.
    let waited = ContinuousClock.now
    let timedOut = await #expect(throws: APIError.self) {
      try await admission.perform(arrival: .now, holdsSlot: true) {}
    }
    #expect(timedOut?.status == .serviceUnavailable && timedOut?.headers[.retryAfter] == "1")
    #expect(ContinuousClock.now - waited >= .milliseconds(150))
    // With one waiting, a third is over capacity at once.
    async let second: Void = admission.perform(arrival: .now + .seconds(10), holdsSlot: true) {}
    while admission.inFlightCount < 2 { try await Task.sleep(for: .milliseconds(5)) }
    await #expect(throws: APIError.overloaded("the server is at its limit of 2 requests in progress")) {
      try await admission.perform(arrival: .now, holdsSlot: false) {}
    }
    releaseGo.yield()
    try await first
    try await second  // the waiter got the slot when it came free
    try await admission.perform(arrival: .now, holdsSlot: true) {}
    #expect(admission.shedCount == 2)
  }

  @Test("over HTTP, a request past the load limit gets 503 with Retry-After, the admitted one its answer")
  func overloadedRoute() async throws {
    var limits = ServerLimits()
    limits.concurrentScoring = 1
    limits.maxQueued = 0
    try await withServer([("seq", ServedModels.sasrec)], limits: limits) { client, server in
      let (release, releaseGo) = AsyncStream.makeStream(of: Void.self)
      async let held: Void = holdScoringSlot(server, until: release)
      try await waitUntil("the slot is taken") { server.admission.inFlightCount == 1 }
      let busy = String(buffer: try await client.get("/metrics").body)
      #expect(busy.contains("compactrec_requests_in_flight 1.0"))
      let refused = try await client.post("/v1/models/seq/recommend", ["user": "u2"])
      releaseGo.finish()
      try await held
      expectError(refused, .serviceUnavailable, "overloaded")
      #expect(refused.headers[.retryAfter] == "1")
      let admitted = try await client.post("/v1/models/seq/recommend", ["user": "u1", "k": 3])
      #expect(admitted.status == .ok && admitted.items.count == 3)
      let metrics = String(buffer: try await client.get("/metrics").body)
      #expect(metrics.contains("compactrec_requests_shed_total 1"))
    }
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
