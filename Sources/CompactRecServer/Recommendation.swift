import CompactRecKit

/// A recommendation request checked against one model: what to search, or the popular-items
/// fallback, and what the answer must echo.
struct PreparedRequest: Sendable {
  enum Plan: Sendable {
    /// A search through the model.
    case search(ScoringQuery)
    /// The most popular admissible items (an unknown user with `"fallback": "popular"`).
    case popular(ItemFilter)
  }

  var plan: Plan
  var k: Int
  var user: String?
  var includeScores: Bool
  /// Ids of the request that are not in the model, dropped from it.
  var ignored: [String]
}

extension ServedModel {
  /// Checks `request` against this model and turns it into a plan, or throws the API error a
  /// client can act on (404 unknown user, 422 k out of range or nothing to rank from).
  func prepare(_ request: RecommendRequest) throws -> PreparedRequest {
    let k = try ServerLimits.checked(k: request.k ?? RecommendRequest.defaultK)
    var ignored: [String] = []
    let known = { (ids: [String]) -> [Int32] in
      ids.compactMap { id in
        guard let i = self.trained.items.index(of: id) else {
          ignored.append(id)
          return nil
        }
        return i
      }
    }
    let deny = known(request.deny ?? [])
    let allow = request.allow.map(known)
    let history = request.history.map(known)
    let filter = ItemFilter(exclude: deny + (history ?? []), allow: allow)
    var prepared = PreparedRequest(
      plan: .popular(filter), k: k, user: request.user, includeScores: request.includeScores ?? true, ignored: ignored)

    if let given = request.history, history?.isEmpty ?? true {
      // A history was sent and none of it is known: nothing to rank from, unless an unknown
      // user asked for the popular items.
      if let id = request.user, trained.users.index(of: id) == nil, request.fallback == .popular {
        return try popularFallback(prepared)
      }
      throw APIError.invalid(
        given.isEmpty ? "the history is empty" : "no item of the history is in the model's training data")
    }
    if let id = request.user, let u = trained.users.index(of: id) {
      let stored = trained.query(user: u, filter: filter)
      if let history {
        prepared.plan = .search(ScoringQuery(user: u, history: history, filter: stored.filter))
      } else if batcher != nil && !trained.hasHistories {
        throw APIError.invalid(
          "model '\(name)' was saved without users' histories (--history none): send the user's \"history\"")
      } else {
        prepared.plan = .search(stored)
      }
      return prepared
    }
    if let history {
      prepared.plan = .search(ScoringQuery(user: nil, history: history, filter: filter))
      return prepared
    }
    if let id = request.user {
      guard request.fallback == .popular else { throw APIError.unknownUser(id) }
      return try popularFallback(prepared)
    }
    throw APIError.invalid("send \"user\" (a known user id) or \"history\" (item ids, oldest first)")
  }

  /// `prepared` answered with the popular items, when the model has training counts.
  private func popularFallback(_ prepared: PreparedRequest) throws -> PreparedRequest {
    guard !popular.isEmpty else {
      throw APIError.invalid(
        "model '\(name)' keeps no training counts (saved with --history none), so it has no popular items")
    }
    return prepared
  }

  /// The rankings of prepared requests, in order. Searches of a sequential model go through
  /// its dynamic batcher (503 when no pass could take them before `deadline`); the others
  /// search the model directly, all of them in one call.
  func rank(_ requests: [PreparedRequest], deadline: ContinuousClock.Instant) async throws -> [Ranking] {
    var out = [Ranking](repeating: Ranking(items: [], scores: []), count: requests.count)
    var queries: [ScoringQuery] = []
    var slots: [Int] = []
    for (r, request) in requests.enumerated() {
      switch request.plan {
      case .search(let query):
        queries.append(query)
        slots.append(r)
      case .popular(let filter):
        out[r] = popularItems(k: request.k, filter: filter)
      }
    }
    guard !queries.isEmpty else { return out }
    let k = slots.map { requests[$0].k }.max()!
    let rankings: [Ranking]
    if let batcher {
      guard let found = await batcher.search(queries, k: k, deadline: deadline) else {
        throw APIError.overloaded("the request waited too long for the model's encoder")
      }
      rankings = found
    } else {
      rankings = trained.model.recommend(queries, k: k)
    }
    for (slot, ranking) in zip(slots, rankings) {
      out[slot] = ranking.prefix(requests[slot].k)
    }
    return out
  }

  /// The `k` most frequent training items that `filter` admits; the score is the count.
  func popularItems(k: Int, filter: ItemFilter) -> Ranking {
    var ranking = Ranking(items: [], scores: [])
    for (item, count) in popular where ranking.items.count < k && filter.admits(item) {
      ranking.items.append(item)
      ranking.scores.append(Float(count))
    }
    return ranking
  }

  /// The JSON answer of one request.
  func answer(_ request: PreparedRequest, _ ranking: Ranking, tookMilliseconds: Double?) -> String {
    var fields: [(String, String)] = [("model", JSONText.string(name))]
    if let user = request.user { fields.append(("user", JSONText.string(user))) }
    fields.append(("items", items(ranking, scores: request.includeScores)))
    if case .popular = request.plan { fields.append(("fallback", JSONText.string("popular"))) }
    if !request.ignored.isEmpty {
      fields.append(("ignored_items", JSONText.array(request.ignored.map(JSONText.string))))
    }
    if let tookMilliseconds { fields.append(("took_ms", JSONText.number(tookMilliseconds))) }
    return JSONText.object(fields)
  }

  /// A ranking as a JSON array of `{"item": id, "score": s}` (or `{"item": id}`), written into
  /// one string: this is most of a hot answer's bytes.
  func items(_ ranking: Ranking, scores: Bool) -> String {
    var out = "["
    out.reserveCapacity(ranking.items.count * (scores ? 40 : 20) + 2)
    for (i, item) in ranking.items.enumerated() {
      out += i == 0 ? "{\"item\":" : ",{\"item\":"
      JSONText.append(trained.items[item], to: &out)
      if scores {
        out += ",\"score\":"
        out += JSONText.number(ranking.scores[i])
      }
      out += "}"
    }
    return out + "]"
  }
}
