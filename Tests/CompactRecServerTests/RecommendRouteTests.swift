import CompactRecKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CompactRecServer

@Suite("recommend, batch and similar routes")
struct RecommendRouteTests {
  let data = ServedModels.data

  @Test("a known user gets the model's own top-k, seen items excluded, best first")
  func knownUser() async throws {
    // Read only, from the server test closures (inference is safe on many threads).
    nonisolated(unsafe) let expected = try TrainedModel.load(from: ServedModels.mf)
    try await withServer([("mf", ServedModels.mf), ("hq", ServedModels.hqgnn)]) { client, _ in
      for user in ["u0", "u17", "u150"] {
        let response = try await client.post("/v1/models/mf/recommend", ["user": user, "k": 7])
        #expect(response.status == .ok)
        let want = try expected.recommend(user: user, k: 7)
        #expect(response.items == want.map(\.item))
        let scores = (response.object["items"] as! [[String: Any]]).map { ($0["score"] as! NSNumber).floatValue }
        #expect(scores == want.map(\.score))
        #expect(response.object["user"] as? String == user)
        #expect(response.object["took_ms"] is NSNumber)
        let u = expected.users.index(of: user)!
        let seen = Set(expected.seen.row(Int(u)).map { expected.items[$0] })
        #expect(seen.isDisjoint(with: response.items))
      }
      let quantized = try TrainedModel.load(from: ServedModels.hqgnn)
      let response = try await client.post("/v1/models/hq/recommend", ["user": "u3", "include_scores": false])
      #expect(response.items == (try quantized.recommend(user: "u3", k: 20)).map(\.item))
      #expect((response.object["items"] as! [[String: Any]]).allSatisfy { $0["score"] == nil })
    }
  }

  @Test("a model of mixed widths answers users, histories and similar items as the library does")
  func mixedWidths() async throws {
    // Read only, from the server test closures (inference is safe on many threads).
    nonisolated(unsafe) let expected = try TrainedModel.load(from: ServedModels.mixed)
    try await withServer([("mixed", ServedModels.mixed)]) { client, _ in
      let user = try await client.post("/v1/models/mixed/recommend", ["user": "u5", "k": 6])
      let want = try expected.recommend(user: "u5", k: 6).map(\.item)
      #expect(user.status == .ok && user.items == want)
      let history = try await client.post("/v1/models/mixed/recommend", ["history": ["i2", "i7"], "k": 6])
      #expect(history.items == (try expected.recommend(history: ["i2", "i7"], k: 6)).map(\.item))
      let similar = try await client.get("/v1/models/mixed/similar?item=i4&k=5")
      #expect(similar.status == .ok && similar.items.count == 5 && !similar.items.contains("i4"))
      let described = try await client.get("/v1/models/mixed")
      #expect(described.object["kind"] as? String == "hqgnn-mixed")
    }
  }

  @Test("a history is folded into a graph model's user vector, as the library does it")
  func historyFoldIn() async throws {
    // Read only, from the server test closures (inference is safe on many threads).
    nonisolated(unsafe) let expected = try TrainedModel.load(from: ServedModels.mf)
    try await withServer([("mf", ServedModels.mf)]) { client, _ in
      let history = ["i5", "i9", "i30", "nope"]
      let response = try await client.post("/v1/models/mf/recommend", ["history": history, "k": 10])
      #expect(response.status == .ok)
      #expect(response.items == (try expected.recommend(history: ["i5", "i9", "i30"], k: 10)).map(\.item))
      #expect(response.object["ignored_items"] as? [String] == ["nope"])
      #expect(Set(response.items).isDisjoint(with: history))
    }
  }

  @Test("allow and deny lists narrow the answer; unknown ids in them are ignored")
  func allowAndDeny() async throws {
    try await withServer([("mf", ServedModels.mf)]) { client, _ in
      let open = try await client.post("/v1/models/mf/recommend", ["user": "u4", "k": 5]).items
      let denied = try await client.post("/v1/models/mf/recommend", ["user": "u4", "k": 5, "deny": [open[0], "zzz"]])
      #expect(!denied.items.contains(open[0]) && denied.items.count == 5)
      #expect(denied.items.prefix(4) == open.dropFirst().prefix(4))
      let allowed = try await client.post(
        "/v1/models/mf/recommend", ["user": "u4", "k": 5, "allow": [open[2], open[1]]])
      #expect(allowed.items == [open[1], open[2]])
    }
  }

  @Test("concurrent sequential requests share encoder passes and each gets its own answer")
  func dynamicBatching() async throws {
    // Read only, from the server test closures (inference is safe on many threads).
    nonisolated(unsafe) let expected = try TrainedModel.load(from: ServedModels.sasrec)
    try await withServer([("seq", ServedModels.sasrec)], batchWait: .milliseconds(500)) { client, _ in
      let histories = (0..<48).map { u in data.train[u].suffix(8).map { data.items[$0] } }
      let answers = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
        for (u, history) in histories.enumerated() {
          group.addTask {
            let response = try await client.post("/v1/models/seq/recommend", ["history": history, "k": 5 + u % 3])
            #expect(response.status == .ok)
            return (u, response.items)
          }
        }
        return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
      }
      for (u, history) in histories.enumerated() {
        #expect(answers[u] == (try expected.recommend(history: history, k: 5 + u % 3)).map(\.item))
      }
      let metrics = String(buffer: try await client.get("/metrics").body)
      let passes = metrics.split(separator: "\n").first { $0.hasPrefix("compactrec_batch_queries_count") }
      let count = passes.flatMap { Int($0.split(separator: " ").last!) } ?? 0
      #expect(count >= 1 && count < 48, "48 concurrent requests should share passes: \(passes ?? "none")")
    }
  }

  @Test("draining the batchers answers a request waiting for its batch at once, and later ones too")
  func drainAtShutdown() async throws {
    nonisolated(unsafe) let expected = try TrainedModel.load(from: ServedModels.sasrec)
    var limits = ServerLimits()
    limits.queueTimeout = .seconds(3600)
    // A 30-minute batch window (and an hour's queue timeout): only the drain can answer these
    // requests while the test runs.
    try await withServer([("seq", ServedModels.sasrec)], limits: limits, batchWait: .seconds(1800)) { client, server in
      let history = data.train[3].suffix(8).map { data.items[$0] }
      let started = ContinuousClock.now
      async let waiting = client.post("/v1/models/seq/recommend", ["history": history, "k": 4])
      try await waitUntil("the request waits in the batcher") { server.admission.inFlightCount == 1 }
      server.store.drainBatchers()
      let answer = try await waiting
      #expect(answer.status == .ok)
      #expect(answer.items == (try expected.recommend(history: history, k: 4)).map(\.item))
      let later = try await client.post("/v1/models/seq/recommend", ["history": history, "k": 2])
      #expect(later.items == Array(answer.items.prefix(2)))
      #expect(ContinuousClock.now - started < .seconds(900), "the requests waited for the batch window")
    }
  }

  @Test("a known user of a sequential model reads the stored history; allow and deny apply")
  func sequentialKnownUser() async throws {
    // Read only, from the server test closures (inference is safe on many threads).
    nonisolated(unsafe) let expected = try TrainedModel.load(from: ServedModels.sasrec)
    try await withServer([("seq", ServedModels.sasrec)]) { client, _ in
      let response = try await client.post("/v1/models/seq/recommend", ["user": "u12", "k": 8])
      let want = try expected.recommend(user: "u12", k: 8).map(\.item)
      #expect(response.items == want)
      let narrowed = try await client.post(
        "/v1/models/seq/recommend", ["user": "u12", "k": 3, "allow": Array(want.suffix(4)), "deny": [want[7]]])
      #expect(narrowed.items == Array(want[4..<7]))
    }
  }

  @Test("a request in flight during a reload finishes on the model it started with")
  func inFlightKeepsItsModel() async throws {
    let served = try ServedModels.copy(ServedModels.mf, as: "inflight")
    let old = try TrainedModel.load(from: ServedModels.mf).recommend(user: "u9", k: 10).map(\.item)
    let new = try TrainedModel.load(from: ServedModels.hqgnn).recommend(user: "u9", k: 10).map(\.item)
    #expect(old != new)
    var limits = ServerLimits()
    limits.concurrentScoring = 1
    limits.queueTimeout = .seconds(600)
    try await withServer([("graph", served)], limits: limits) { client, server in
      // The request takes its model, then waits for the slot the test holds.
      let (release, releaseGo) = AsyncStream.makeStream(of: Void.self)
      async let held: Void = holdScoringSlot(server, until: release)
      try await waitUntil("the slot is taken") { server.admission.inFlightCount == 1 }
      async let started = client.post("/v1/models/graph/recommend", ["user": "u9", "k": 10])
      try await waitUntil("the request waits for the slot") { server.admission.inFlightCount == 2 }
      try ServedModels.replace(served, with: ServedModels.hqgnn)
      #expect(await server.store.reload().map(\.result) == [.reloaded])
      releaseGo.finish()
      try await held
      #expect(try await started.items == old)
      #expect(try await client.post("/v1/models/graph/recommend", ["user": "u9", "k": 10]).items == new)
    }
  }

  @Test("a batch answers each request in order, with an error object for a bad one")
  func batch() async throws {
    // Read only, from the server test closures (inference is safe on many threads).
    nonisolated(unsafe) let expected = try TrainedModel.load(from: ServedModels.mf)
    try await withServer([("mf", ServedModels.mf), ("seq", ServedModels.sasrec)]) { client, _ in
      let requests: [[String: Any]] = [
        ["user": "u1", "k": 3], ["user": "ghost"], ["history": ["i2", "i3"], "k": 4], ["user": "u2", "k": 0],
        ["user": "u3", "k": "many"],
      ]
      let response = try await client.post("/v1/models/mf/recommend:batch", ["requests": requests])
      #expect(response.status == .ok)
      let results = response.object["results"] as! [[String: Any]]
      #expect(results.count == 5)
      #expect(
        (results[0]["items"] as! [[String: Any]]).map { $0["item"] as! String }
          == (try expected.recommend(user: "u1", k: 3)).map(\.item))
      #expect(results[1]["status"] as? Int == 404)
      #expect((results[1]["error"] as? [String: Any])?["code"] as? String == "unknown_user")
      #expect((results[2]["items"] as! [[String: Any]]).count == 4)
      #expect(results[3]["status"] as? Int == 422)
      #expect(results[4]["status"] as? Int == 422)  // a wrong shape fails only its own entry
      #expect(((results[4]["error"] as? [String: Any])?["message"] as? String)?.contains("k") == true)
      let seq = try await client.post(
        "/v1/models/seq/recommend:batch", ["requests": (0..<30).map { ["user": "u\($0)"] }])
      #expect((seq.object["results"] as! [[String: Any]]).allSatisfy { ($0["items"] as? [Any])?.count == 20 })
      let tooMany = try await client.post(
        "/v1/models/mf/recommend:batch", ["requests": (0..<1001).map { _ in ["user": "u1"] }])
      expectError(tooMany, .unprocessableContent, "invalid_request")
    }
  }

  @Test("similar items: the model's own nearest items, never the item itself")
  func similar() async throws {
    nonisolated(unsafe) let model = try TrainedModel.load(from: ServedModels.mf)
    try await withServer([("mf", ServedModels.mf), ("seq", ServedModels.sasrec), ("pop", ServedModels.mostpop)]) {
      client, _ in
      let response = try await client.get("/v1/models/mf/similar?item=i7&k=6")
      #expect(response.status == .ok)
      #expect(response.items.count == 6 && !response.items.contains("i7"))
      // MF scores items against the item's own vector: the same as a one-item history.
      let want = try model.recommend(history: ["i7"], k: 6).map(\.item)
      #expect(response.items == want)
      let seq = try await client.get("/v1/models/seq/similar?item=i7&k=4")
      #expect(seq.status == .ok && seq.items.count == 4 && !seq.items.contains("i7"))
      let scores = (seq.object["items"] as! [[String: Any]]).map { ($0["score"] as! NSNumber).doubleValue }
      #expect(scores.allSatisfy { $0 <= 1.0001 && $0 >= -1.0001 } && scores == scores.sorted(by: >))
      expectError(try await client.get("/v1/models/pop/similar?item=i7"), .unprocessableContent, "invalid_request")
      expectError(try await client.get("/v1/models/mf/similar?item=nope"), .notFound, "unknown_item")
      expectError(try await client.get("/v1/models/mf/similar"), .unprocessableContent, "invalid_request")
      expectError(try await client.get("/v1/models/mf/similar?item=i7&k=0"), .unprocessableContent, "invalid_request")
    }
  }

  @Test("model listing: kind, users, items, bytes, checksum")
  func models() async throws {
    try await withServer([("mf", ServedModels.mf), ("seq", ServedModels.sasrec)]) { client, _ in
      let list = try await client.get("/v1/models").object["models"] as! [[String: Any]]
      #expect(list.map { $0["name"] as! String } == ["mf", "seq"])
      let one = try await client.get("/v1/models/seq").object
      #expect(one["kind"] as? String == "sequential")
      #expect(one["users"] as? Int == data.userCount && one["items"] as? Int == data.itemCount)
      let bytes = try FileManager.default.attributesOfItem(atPath: ServedModels.sasrec)[.size] as! Int
      #expect(one["bytes"] as? Int == bytes)
      let whole = try [UInt8](Data(contentsOf: URL(fileURLWithPath: ServedModels.sasrec)))
      #expect(one["checksum"] as? String == String(format: "%08x", CRC32.checksum(whole)))
      #expect(try await client.get("/healthz").status == .ok)
      #expect((try await client.get("/readyz").object["models"] as? [Any])?.count == 2)
    }
  }
}
