import CompactRecKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CompactRecServer

@Suite("hot reload and the admin route")
struct ReloadTests {
  static let token = "s3cret-token"
  let auth: HTTPFields = [.authorization: "Bearer \(ReloadTests.token)"]

  private func checksum(_ client: any TestClientProtocol, _ name: String) async throws -> String {
    try await client.get("/v1/models/\(name)").object["checksum"] as! String
  }

  @Test("admin routes: 403 when off, 401 without the token, 200 with it")
  func adminAuth() async throws {
    try await withServer([("mf", ServedModels.mf)]) { client, _ in
      expectError(try await client.post("/v1/admin/reload", "{}"), .forbidden, "admin_disabled")
    }
    try await withServer([("mf", ServedModels.mf)], adminToken: Self.token) { client, _ in
      expectError(try await client.post("/v1/admin/reload", "{}"), .unauthorized, "unauthorized")
      expectError(
        try await client.post("/v1/admin/reload", "{}", headers: [.authorization: "Bearer wrong"]), .unauthorized,
        "unauthorized")
      let ok = try await client.post("/v1/admin/reload", "{}", headers: auth)
      #expect(ok.status == .ok)
      #expect((ok.object["reloads"] as? [[String: Any]])?.first?["result"] as? String == "reloaded")
      expectError(
        try await client.post("/v1/admin/reload?model=zzz", "{}", headers: auth), .notFound, "unknown_model")
    }
  }

  @Test("a replaced file goes into service; a corrupt one is refused and the old model serves on")
  func replaceAndRefuse() async throws {
    let served = try ServedModels.copy(ServedModels.sasrec, as: "served")
    try await withServer([("seq", served)], adminToken: Self.token) { client, server in
      let before = try await checksum(client, "seq")
      let other = try TrainedModel.load(from: ServedModels.sasrecOther)
      try ServedModels.replace(served, with: ServedModels.sasrecOther)
      let outcomes = await server.store.reload(onlyChanged: true)
      #expect(outcomes.map(\.result) == [.reloaded])
      let after = try await checksum(client, "seq")
      #expect(after != before)
      let response = try await client.post("/v1/models/seq/recommend", ["user": "u5", "k": 6])
      #expect(response.items == (try other.recommend(user: "u5", k: 6)).map(\.item))
      #expect(await server.store.reload(onlyChanged: true).map(\.result) == [.unchanged])

      try ServedModels.replaceCorrupt(served, with: ServedModels.sasrec)
      let refused = try await client.post("/v1/admin/reload", "{}", headers: auth)
      expectError(refused, .unprocessableContent, "reload_failed")
      let outcome = (refused.object["reloads"] as? [[String: Any]])?.first
      #expect(outcome?["result"] as? String == "failed" && (outcome?["error"] as? String)?.isEmpty == false)
      #expect(try await checksum(client, "seq") == after)
      #expect(try await client.post("/v1/models/seq/recommend", ["user": "u5", "k": 6]).items == response.items)
      // The watcher does not retry the same bad file.
      #expect(await server.store.reload(onlyChanged: true).map(\.result) == [.unchanged])
      let metrics = String(buffer: try await client.get("/metrics").body)
      #expect(metrics.contains(#"compactrec_model_reloads_total{model="seq",result="failed"} 1"#))
      #expect(metrics.contains(#"compactrec_model_reloads_total{model="seq",result="ok"}"#))
    }
  }

  @Test("reloads during a concurrent request loop lose no request and return no error")
  func reloadUnderLoad() async throws {
    let served = try ServedModels.copy(ServedModels.sasrec, as: "loaded")
    let graph = try ServedModels.copy(ServedModels.mf, as: "graph")
    try await withServer([("seq", served), ("mf", graph)]) { client, server in
      let failures = try await withThrowingTaskGroup(of: Int.self) { group in
        for worker in 0..<8 {
          group.addTask {
            var failures = 0
            for r in 0..<40 {
              let model = (worker + r) % 2 == 0 ? "seq" : "mf"
              let response = try await client.post(
                "/v1/models/\(model)/recommend", ["user": "u\((worker * 40 + r) % 200)", "k": 10])
              if response.status != .ok || response.items.count != 10 { failures += 1 }
            }
            return failures
          }
        }
        group.addTask {
          for round in 0..<6 {
            try ServedModels.replace(served, with: round % 2 == 0 ? ServedModels.sasrecOther : ServedModels.sasrec)
            let outcomes = await server.store.reload()
            #expect(outcomes.allSatisfy { $0.result == .reloaded })
          }
          return 0
        }
        return try await group.reduce(0, +)
      }
      #expect(failures == 0)
    }
  }

  @Test("metrics: requests by route and status, latency histogram, models loaded")
  func metrics() async throws {
    try await withServer([("mf", ServedModels.mf)]) { client, _ in
      _ = try await client.post("/v1/models/mf/recommend", ["user": "u1"])
      _ = try await client.post("/v1/models/mf/recommend", ["user": "ghost"])
      _ = try await client.get("/nowhere")
      let response = try await client.get("/metrics")
      #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
      let text = String(buffer: response.body)
      #expect(
        text.contains(
          #"compactrec_http_requests_total{route="/v1/models/{name}/recommend",method="POST",status="200"} 1"#))
      #expect(
        text.contains(
          #"compactrec_http_requests_total{route="/v1/models/{name}/recommend",method="POST",status="404"} 1"#))
      #expect(text.contains(#"compactrec_http_requests_total{route="NotFound",method="GET",status="404"} 1"#))
      #expect(
        text.contains(
          #"compactrec_http_request_duration_seconds_bucket{route="/v1/models/{name}/recommend",le="0.001"}"#))
      #expect(text.contains("compactrec_models_loaded 1.0"))
    }
  }
}
