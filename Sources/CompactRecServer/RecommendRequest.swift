/// The body of `POST /v1/models/{name}/recommend`, and one entry of `recommend:batch`.
///
/// - `user`: a known user's id. Its stored vector (graph models) or history (sequential
///   models) is the query, and its seen items are left out.
/// - `history`: item ids, oldest first. Without a known user it is the query: a sequential
///   model reads it, a graph or MF model folds it into a user vector (the mean of its items'
///   vectors). Its items are left out. Unknown ids are dropped and listed in `ignored_items`.
/// - `k`: how many items (default 20, 1...1000).
/// - `allow` / `deny`: only these items / never these items (unknown ids are ignored).
/// - `include_scores`: scores beside the items (default true).
/// - `fallback`: `"popular"` answers an unknown user with the most popular items instead
///   of 404.
public struct RecommendRequest: Decodable, Sendable {
  public var user: String?
  public var history: [String]?
  public var k: Int?
  public var allow: [String]?
  public var deny: [String]?
  public var includeScores: Bool?
  public var fallback: Fallback?

  /// What to answer for an unknown user.
  public enum Fallback: String, Decodable, Sendable {
    case popular
  }

  enum CodingKeys: String, CodingKey {
    case user, history, k, allow, deny, fallback
    case includeScores = "include_scores"
  }

  public init(user: String? = nil, history: [String]? = nil, k: Int? = nil) {
    self.user = user
    self.history = history
    self.k = k
  }

  /// The default `k`.
  public static let defaultK = 20
}

/// The body of `POST /v1/models/{name}/recommend:batch`. An entry of the wrong shape fails
/// alone: it keeps its decoding error, and the other entries are answered.
struct BatchRequest: Decodable {
  var requests: [Entry]

  struct Entry: Decodable {
    var request: Result<RecommendRequest, any Error>

    init(from decoder: any Decoder) throws {
      request = Result { try RecommendRequest(from: decoder) }
    }
  }
}
