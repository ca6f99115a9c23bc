import Foundation
import Hummingbird

/// An error answer of the API: an HTTP status and the JSON body
/// `{"error": {"code": "...", "message": "..."}}`, which every failure has, whatever its cause.
///
/// Codes are stable strings a client can switch on; messages are for people.
public struct APIError: Error, HTTPResponseError, Equatable {
  /// The HTTP status.
  public var status: HTTPResponse.Status
  /// A stable machine-readable code, e.g. `unknown_user`.
  public var code: String
  /// What went wrong, in the caller's terms.
  public var message: String
  /// Extra response headers (`Retry-After` on 503, `Allow` on 405).
  public var headers = HTTPFields()
  /// Extra top-level fields of the body beside `error`, as JSON text (a failed reload lists
  /// every model's outcome).
  var details: [(String, String)] = []

  public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
    self.status = status
    self.code = code
    self.message = message
  }

  public static func == (a: APIError, b: APIError) -> Bool {
    a.status == b.status && a.code == b.code && a.message == b.message
  }

  /// The JSON body.
  public var body: String { JSONText.object([("error", errorObject)] + details) }

  /// `{"code": ..., "message": ...}`.
  var errorObject: String {
    JSONText.object([("code", JSONText.string(code)), ("message", JSONText.string(message))])
  }

  public func response(from request: Request, context: some RequestContext) throws -> Response {
    var fields = HTTPFields()
    fields[.contentType] = "application/json"
    fields.append(contentsOf: headers)
    return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
  }
}

extension APIError {
  static func malformed(_ message: String) -> APIError { APIError(.badRequest, code: "malformed_request", message) }
  static func invalid(_ message: String) -> APIError {
    APIError(.unprocessableContent, code: "invalid_request", message)
  }
  static func unknownModel(_ name: String) -> APIError {
    APIError(.notFound, code: "unknown_model", "no model named '\(name)' is served (GET /v1/models lists them)")
  }
  static func unknownUser(_ id: String) -> APIError {
    APIError(
      .notFound, code: "unknown_user",
      "unknown user '\(id)': not in the model's training data (send \"fallback\": \"popular\" for popular items, or send a \"history\")"
    )
  }
  static func unknownItem(_ id: String) -> APIError {
    APIError(.notFound, code: "unknown_item", "unknown item '\(id)': not in the model's training data")
  }
  static let notFound = APIError(.notFound, code: "not_found", "no such route (GET /openapi.json describes the API)")
  static func methodNotAllowed(_ allowed: [HTTPRequest.Method]) -> APIError {
    let names = allowed.map(\.rawValue).joined(separator: ", ")
    var error = APIError(.methodNotAllowed, code: "method_not_allowed", "this route answers \(names)")
    error.headers[.allow] = names
    return error
  }
  static let bodyTooLarge = APIError(
    .contentTooLarge, code: "body_too_large", "the request body is over \(ServerLimits.maxBodyBytes) bytes")
  /// 503 with `Retry-After`: the server is at its load limit; the client should try again.
  static func overloaded(_ message: String, retryAfterSeconds: Int = 1) -> APIError {
    var error = APIError(.serviceUnavailable, code: "overloaded", message)
    error.headers[.retryAfter] = String(retryAfterSeconds)
    return error
  }
  static let unauthorized: APIError = {
    var error = APIError(.unauthorized, code: "unauthorized", "admin routes need 'Authorization: Bearer TOKEN'")
    error.headers[.wwwAuthenticate] = "Bearer"
    return error
  }()
  static let adminDisabled = APIError(
    .forbidden, code: "admin_disabled", "admin routes are off: start the server with --admin-token-file")
}
