import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CompactRecServer

@Suite("the OpenAPI document tells the truth")
struct OpenAPIDocumentTests {
  let document = try! JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as! [String: Any]

  @Test("it lists exactly the routes the server answers")
  func routes() throws {
    #expect(document["openapi"] as? String == "3.0.3")
    let paths = document["paths"] as! [String: [String: Any]]
    let documented = Set(paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } })
    let served = Set(APIRoutes.all.map { "\($0.method.rawValue) \($0.path)" })
    #expect(documented == served)
  }

  @Test("real answers of every route match the documented schema of their status")
  func answersMatchSchemas() async throws {
    try await withServer([("mf", ServedModels.mf), ("seq", ServedModels.sasrec)], adminToken: "t") { client, _ in
      let auth: HTTPFields = [.authorization: "Bearer t"]
      let calls: [(HTTPRequest.Method, String, String, String?, HTTPFields)] = [
        (.get, "/healthz", "/healthz", nil, [:]),
        (.get, "/readyz", "/readyz", nil, [:]),
        (.get, "/openapi.json", "/openapi.json", nil, [:]),
        (.get, "/v1/models", "/v1/models", nil, [:]),
        (.get, "/v1/models/{name}", "/v1/models/seq", nil, [:]),
        (.get, "/v1/models/{name}", "/v1/models/nope", nil, [:]),
        (.post, "/v1/models/{name}/recommend", "/v1/models/mf/recommend", #"{"user": "u1", "k": 3}"#, [:]),
        (.post, "/v1/models/{name}/recommend", "/v1/models/mf/recommend", #"{"history": ["i1", "zz"]}"#, [:]),
        (
          .post, "/v1/models/{name}/recommend", "/v1/models/mf/recommend", #"{"user": "zz", "fallback": "popular"}"#,
          [:]
        ),
        (.post, "/v1/models/{name}/recommend", "/v1/models/mf/recommend", #"{"user": "zz"}"#, [:]),
        (.post, "/v1/models/{name}/recommend", "/v1/models/mf/recommend", #"{"user": "#, [:]),
        (.post, "/v1/models/{name}/recommend", "/v1/models/seq/recommend", #"{"user": "u1", "k": 0}"#, [:]),
        (
          .post, "/v1/models/{name}/recommend:batch", "/v1/models/seq/recommend:batch",
          #"{"requests": [{"user": "u1"}, {"user": "zz"}]}"#, [:]
        ),
        (.get, "/v1/models/{name}/similar", "/v1/models/mf/similar?item=i3&k=4", nil, [:]),
        (.get, "/v1/models/{name}/similar", "/v1/models/mf/similar?item=zz", nil, [:]),
        (.post, "/v1/admin/reload", "/v1/admin/reload", "{}", auth),
        (.post, "/v1/admin/reload", "/v1/admin/reload", "{}", [:]),
      ]
      for (method, route, uri, body, headers) in calls {
        let response = try await client.execute(
          uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        let operation =
          (document["paths"] as! [String: [String: Any]])[route]![method.rawValue.lowercased()] as! [String: Any]
        let responses = operation["responses"] as! [String: Any]
        let status = String(response.status.code)
        guard let documented = responses[status] as? [String: Any] else {
          Issue.record("\(method) \(uri) answered \(status), which is not documented")
          continue
        }
        let content = resolve(documented)["content"] as! [String: Any]
        let mediaType = (response.headers[.contentType] ?? "").split(separator: ";").first.map(String.init) ?? ""
        guard let media = content[mediaType] as? [String: Any] else {
          Issue.record("\(method) \(uri): \(mediaType) is not documented for \(status)")
          continue
        }
        if mediaType == "application/json" {
          let value = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
          let problems = validate(value, media["schema"] as! [String: Any], at: "\(method) \(uri)")
          #expect(problems.isEmpty, "\(problems)")
        }
      }
    }
  }

  /// Follows a `$ref` to its target in the document.
  private func resolve(_ node: [String: Any]) -> [String: Any] {
    guard let ref = node["$ref"] as? String else { return node }
    var target: Any = document
    for part in ref.dropFirst(2).split(separator: "/") { target = (target as! [String: Any])[String(part)]! }
    return resolve(target as! [String: Any])
  }

  /// What in `value` breaks `schema` (types, required properties, items, oneOf, enum).
  private func validate(_ value: Any, _ schema: [String: Any], at path: String) -> [String] {
    let schema = resolve(schema)
    if let choices = schema["oneOf"] as? [[String: Any]] {
      let fits = choices.filter { validate(value, $0, at: path).isEmpty }.count
      return fits == 1 ? [] : ["\(path): matches \(fits) of oneOf"]
    }
    var problems: [String] = []
    switch schema["type"] as? String {
    case "object":
      guard let object = value as? [String: Any] else { return ["\(path): not an object"] }
      for key in schema["required"] as? [String] ?? [] where object[key] == nil {
        problems.append("\(path): missing \(key)")
      }
      let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
      for (key, child) in object {
        guard let property = properties[key] else {
          if !properties.isEmpty { problems.append("\(path).\(key): not documented") }
          continue
        }
        problems += validate(child, property, at: "\(path).\(key)")
      }
    case "array":
      guard let array = value as? [Any] else { return ["\(path): not an array"] }
      if let items = schema["items"] as? [String: Any] {
        for (i, element) in array.enumerated() { problems += validate(element, items, at: "\(path)[\(i)]") }
      }
    case "string":
      guard let string = value as? String else { return ["\(path): not a string"] }
      if let allowed = schema["enum"] as? [String], !allowed.contains(string) { problems.append("\(path): \(string)") }
    case "integer":
      guard let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded() else {
        return ["\(path): not an integer"]
      }
    case "number":
      guard value is NSNumber else { return ["\(path): not a number"] }
    case "boolean":
      guard value is Bool else { return ["\(path): not a boolean"] }
    default:
      break
    }
    return problems
  }
}
