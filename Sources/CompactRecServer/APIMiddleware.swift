import Foundation
import Hummingbird
import NIOCore

/// Wraps every request: turns any error into the API's JSON error answer (so nothing a client
/// sends reaches a 500), answers 405 for a known path under another method, and records the
/// request's route, status and latency in the metrics.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
  let metrics: ServerMetrics

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let start = ContinuousClock.now
    let response: Response
    do {
      response = try await next(request, context)
    } catch {
      let failure = Self.apiError(for: error, path: request.uri.path)
      if failure.status == .serviceUnavailable { metrics.shedRequest() }
      response = try failure.response(from: request, context: context)
    }
    metrics.request(
      route: context.endpointPath ?? "NotFound", method: request.method.rawValue, status: response.status.code,
      duration: ContinuousClock.now - start)
    return response
  }

  /// The API error for anything a handler or the router threw.
  static func apiError(for error: any Error, path: String) -> APIError {
    switch error {
    case let error as APIError:
      return error
    case let error as DecodingError:
      return decodingError(error)
    case let error as any HTTPResponseError:
      switch error.status {
      case .notFound:
        let allowed = APIRoutes.methods(at: path)
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
      case .contentTooLarge:
        return .bodyTooLarge
      default:
        return APIError(error.status, code: "http_error", error.status.reasonPhrase)
      }
    default:
      return APIError(.internalServerError, code: "internal", "internal error: \(error)")
    }
  }

  /// 400 for text that is not JSON; 422 for JSON of the wrong shape, naming the field.
  private static func decodingError(_ error: DecodingError) -> APIError {
    let at = { (path: [any CodingKey]) in
      path.isEmpty
        ? "the body" : "'" + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + "'"
    }
    switch error {
    case .dataCorrupted(let context) where context.codingPath.isEmpty:
      return .malformed("the body is not valid JSON")
    case .dataCorrupted(let context):
      return .invalid("\(at(context.codingPath)): \(context.debugDescription)")
    case .typeMismatch(let type, let context):
      return .invalid("\(at(context.codingPath)) must be \(jsonName(type))")
    case .valueNotFound(let type, let context):
      return .invalid("\(at(context.codingPath)) must be \(jsonName(type)), not null")
    case .keyNotFound(let key, let context):
      return .invalid("\(at(context.codingPath + [key])) is missing")
    @unknown default:
      return .malformed("the body does not match the API")
    }
  }

  private static func jsonName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Int.Type: return "an integer"
    case is Bool.Type: return "true or false"
    case is [String].Type, is [RecommendRequest].Type: return "an array"
    default: return "an object"
    }
  }
}
