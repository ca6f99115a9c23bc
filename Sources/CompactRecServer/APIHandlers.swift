import CompactRecKit
import Foundation
import Hummingbird
import NIOCore

/// The route handlers. Each request takes the current snapshot of its model once, so a
/// reload never changes the model under a request.
struct APIHandlers: Sendable {
  let store: ModelStore
  let metrics: ServerMetrics
  let admission: AdmissionControl
  let adminToken: String?

  func register(on router: Router<BasicRequestContext>) {
    router.get("/healthz") { _, _ in json(JSONText.object([("status", JSONText.string("ok"))])) }
    router.get("/readyz") { _, _ in ready() }
    router.get("/metrics") { _, _ in
      Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
        body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
    }
    router.get("/openapi.json") { _, _ in json(OpenAPIDocument.json) }
    router.get("/v1/models") { _, _ in
      json(JSONText.object([("models", JSONText.array(store.all().map(describe)))]))
    }
    router.get("/v1/models/{name}") { _, context in json(describe(try model(context))) }
    router.post("/v1/models/{name}/recommend") { request, context in
      let arrival = ContinuousClock.now
      let model = try model(context)
      let prepared = try model.prepare(try await decode(RecommendRequest.self, request))
      let ranking = try await rank([prepared], on: model, arrival: arrival)[0]
      return json(model.answer(prepared, ranking, tookMilliseconds: milliseconds(since: arrival)))
    }
    router.post("/v1/models/{name}/recommend:batch") { request, context in
      try await batch(request, context)
    }
    router.get("/v1/models/{name}/similar") { request, context in
      try await similar(request, context)
    }
    router.post("/v1/admin/reload") { request, _ in try await reload(request) }
  }

  /// Ranks prepared requests under admission control: a graph model's search holds a scoring
  /// slot, a sequential model's waits in its batcher, both until the queue timeout at most.
  private func rank(
    _ prepared: [PreparedRequest], on model: ServedModel, arrival: ContinuousClock.Instant
  ) async throws -> [Ranking] {
    try await admission.perform(arrival: arrival, holdsSlot: model.batcher == nil) {
      try await model.rank(prepared, deadline: arrival + admission.queueTimeout)
    }
  }

  /// The snapshot named in the path.
  private func model(_ context: BasicRequestContext) throws -> ServedModel {
    let name = context.parameters.get("name") ?? ""
    guard let model = store.model(name) else { throw APIError.unknownModel(name) }
    return model
  }

  private func ready() -> Response {
    let models = store.all().map {
      JSONText.object([("name", JSONText.string($0.name)), ("checksum", JSONText.string($0.checksum))])
    }
    return json(JSONText.object([("status", JSONText.string("ready")), ("models", JSONText.array(models))]))
  }

  /// What `GET /v1/models/{name}` says of a model.
  private func describe(_ model: ServedModel) -> String {
    JSONText.object([
      ("name", JSONText.string(model.name)),
      ("kind", JSONText.string(model.kind)),
      ("users", JSONText.number(model.trained.users.count)),
      ("items", JSONText.number(model.trained.items.count)),
      ("bytes", JSONText.number(model.fileBytes)),
      ("checksum", JSONText.string(model.checksum)),
      ("load_seconds", JSONText.number((model.loadSeconds * 1e6).rounded() / 1e6)),
      ("loaded_at", JSONText.string(ISO8601DateFormatter().string(from: model.loadedAt))),
      ("histories", JSONText.bool(model.trained.hasHistories)),
      ("similar", JSONText.bool(model.similarItems != nil)),
    ])
  }

  /// Up to `ServerLimits.maxBatch` requests against one model: one answer or error each, in
  /// order, searched together.
  private func batch(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
    let arrival = ContinuousClock.now
    let model = try model(context)
    let requests = try await decode(BatchRequest.self, request).requests
    guard requests.count <= ServerLimits.maxBatch else {
      throw APIError.invalid("a batch holds at most \(ServerLimits.maxBatch) requests, not \(requests.count)")
    }
    var prepared: [PreparedRequest] = []
    var results = [String](repeating: "", count: requests.count)
    var slots: [Int] = []
    for (r, entry) in requests.enumerated() {
      do {
        prepared.append(try model.prepare(try entry.request.get()))
        slots.append(r)
      } catch {
        let failure = APIMiddleware<BasicRequestContext>.apiError(for: error, path: "")
        results[r] = JSONText.object(
          [("status", JSONText.number(Int(failure.status.code)))] + [("error", failure.errorObject)])
      }
    }
    let rankings = try await rank(prepared, on: model, arrival: arrival)
    for (slot, (entry, ranking)) in zip(slots, zip(prepared, rankings)) {
      results[slot] = model.answer(entry, ranking, tookMilliseconds: nil)
    }
    return json(
      JSONText.object([
        ("results", JSONText.array(results)), ("took_ms", JSONText.number(milliseconds(since: arrival))),
      ]))
  }

  /// `similar?item=ID&k=N`: the items nearest to one item by the model's own vectors or codes.
  private func similar(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
    let arrival = ContinuousClock.now
    let model = try model(context)
    guard let search = model.similarItems else {
      throw APIError.invalid("a \(model.kind) model has no item vectors to compare")
    }
    guard let id = request.uri.queryParameters.get("item") else {
      throw APIError.invalid("give the item as ?item=ID")
    }
    guard let item = model.trained.items.index(of: id) else { throw APIError.unknownItem(id) }
    let kText = request.uri.queryParameters.get("k")
    let k = try ServerLimits.checked(k: kText.map { Int($0) ?? 0 } ?? RecommendRequest.defaultK, given: kText)
    let ranking = try await admission.perform(arrival: arrival, holdsSlot: true) { search.similar(to: item, k: k) }
    return json(
      JSONText.object([
        ("model", JSONText.string(model.name)), ("item", JSONText.string(id)),
        ("items", model.items(ranking, scores: true)), ("took_ms", JSONText.number(milliseconds(since: arrival))),
      ]))
  }

  /// `POST /v1/admin/reload[?model=NAME]`: reloads now; 200 when every file went into service,
  /// 422 `reload_failed` when one was refused (its old model keeps serving).
  private func reload(_ request: Request) async throws -> Response {
    guard let adminToken else { throw APIError.adminDisabled }
    let presented = request.headers[.authorization] ?? ""
    guard constantTimeEqual(presented, "Bearer " + adminToken) else { throw APIError.unauthorized }
    let name = request.uri.queryParameters.get("model")
    if let name, !store.serves(name) { throw APIError.unknownModel(name) }
    let outcomes = await store.reload(name.map { [$0] })
    let list = JSONText.array(
      outcomes.map { outcome in
        var fields = [
          ("model", JSONText.string(outcome.model)), ("result", JSONText.string(outcome.result.rawValue)),
          ("checksum", JSONText.string(outcome.checksum)),
        ]
        if let error = outcome.error { fields.append(("error", JSONText.string(error))) }
        return JSONText.object(fields)
      })
    let failed = outcomes.filter { $0.result == .failed }.map(\.model)
    guard failed.isEmpty else {
      var failure = APIError(
        .unprocessableContent, code: "reload_failed",
        "refused the new file of \(failed.joined(separator: ", ")); the old model keeps serving")
      failure.details = [("reloads", list)]
      throw failure
    }
    return json(JSONText.object([("reloads", list)]))
  }
}

/// Compares without stopping at the first difference, so the time does not tell how much of a
/// guessed token was right.
private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
  let x = Array(a.utf8)
  let y = Array(b.utf8)
  var difference = UInt8(x.count == y.count ? 0 : 1)
  for i in 0..<max(x.count, y.count) {
    difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
  }
  return difference == 0
}

/// The request body as `T`: at most `ServerLimits.maxBodyBytes` (else 413), valid JSON (else
/// 400) of the right shape (else 422).
private func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
  let buffer = try await request.body.collect(upTo: ServerLimits.maxBodyBytes)
  return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
}

/// A 200 answer with a JSON body.
private func json(_ text: String) -> Response {
  Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
}

private func milliseconds(since start: ContinuousClock.Instant) -> Double {
  ((ContinuousClock.now - start).seconds * 1e6).rounded() / 1e3
}
