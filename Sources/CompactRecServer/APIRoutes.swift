import Hummingbird

/// Every route of the API, by method and path pattern (`{name}` matches one path segment).
/// The router registers these, a request to a listed path with another method gets 405 with
/// `Allow`, and the OpenAPI document describes exactly these (a test holds it to that).
enum APIRoutes {
  static let all: [(method: HTTPRequest.Method, path: String)] = [
    (.get, "/healthz"),
    (.get, "/readyz"),
    (.get, "/metrics"),
    (.get, "/openapi.json"),
    (.get, "/v1/models"),
    (.get, "/v1/models/{name}"),
    (.post, "/v1/models/{name}/recommend"),
    (.post, "/v1/models/{name}/recommend:batch"),
    (.get, "/v1/models/{name}/similar"),
    (.post, "/v1/admin/reload"),
  ]

  /// The methods the API answers at `path`; empty when no route has that path.
  static func methods(at path: String) -> [HTTPRequest.Method] {
    let segments = path.split(separator: "/", omittingEmptySubsequences: false)
    return all.filter { route in
      let pattern = route.path.split(separator: "/", omittingEmptySubsequences: false)
      return pattern.count == segments.count
        && zip(pattern, segments).allSatisfy { p, s in p == s || (p.first == "{" && !s.isEmpty) }
    }.map(\.method)
  }
}
