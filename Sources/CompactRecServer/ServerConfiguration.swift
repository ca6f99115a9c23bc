import Foundation

/// What `compactrec serve` runs: where to listen, which model files under which names, the
/// admin token and the load limits.
public struct ServerConfiguration: Sendable {
  /// The address to bind; loopback unless the operator says otherwise.
  public var host = "127.0.0.1"
  /// The port; 0 picks a free one (the bound port is reported through `onListening`).
  public var port = 8080
  /// The served model files.
  public var models: [ModelSource]
  /// The bearer token of the admin routes; nil turns them off (403).
  public var adminToken: String?
  /// Load limits.
  public var limits = ServerLimits()
  /// How often served files are checked for replacement; nil turns watching off.
  public var watchInterval: Duration? = .seconds(1)
  /// The longest a sequential request waits for others to share its encoder pass.
  public var batchWait: Duration = .milliseconds(1)

  public init(models: [ModelSource]) {
    self.models = models
  }
}

/// The bounds that keep one client from taking the server down. Past them a request gets 503
/// with `Retry-After` (load) or 413/422 (size).
public struct ServerLimits: Sendable {
  /// The largest request body.
  public static let maxBodyBytes = 1 << 20
  /// The largest `k`.
  public static let maxK = 1000
  /// The most requests in one `recommend:batch`.
  public static let maxBatch = 1000
  /// Scoring runs at most this many requests at once (default: one per core); others queue.
  public var concurrentScoring = max(1, ProcessInfo.processInfo.activeProcessorCount)
  /// The most requests waiting for scoring; past it new requests get 503 at once.
  public var maxQueued = 1024
  /// The longest a request waits for scoring before it gets 503.
  public var queueTimeout: Duration = .seconds(5)
  /// The most open connections; further connections wait in the listen backlog.
  public var maxConnections = 4096
  /// A connection with no request for this long is closed.
  public var idleTimeout: Duration = .seconds(60)

  public init() {}

  /// `k` when it is in 1...`maxK`, else the 422 that says so (`given`: the text as sent).
  static func checked(k: Int, given: String? = nil) throws -> Int {
    guard (1...maxK).contains(k) else {
      throw APIError.invalid("k must be between 1 and \(maxK), not \(given ?? String(k))")
    }
    return k
  }
}

/// One served model: a name for the URL and the file it is loaded from.
public struct ModelSource: Sendable, Equatable {
  /// The name in `/v1/models/{name}`.
  public var name: String
  /// The model file.
  public var path: String

  public init(name: String, path: String) {
    self.name = name
    self.path = path
  }

  /// Parses `NAME=PATH`, or `PATH` named by its file name without the extension.
  public init(argument: String) throws {
    if let eq = argument.firstIndex(of: "="), !argument[..<eq].contains("/") {
      name = String(argument[..<eq])
      path = String(argument[argument.index(after: eq)...])
    } else {
      path = argument
      name = URL(fileURLWithPath: argument).deletingPathExtension().lastPathComponent
    }
    guard !path.isEmpty else { throw ServerSetupError("'\(argument)': no model file given") }
    guard !name.isEmpty, name.utf8.allSatisfy({ Self.nameBytes.contains($0) }) else {
      throw ServerSetupError("'\(name)' is not a model name: use letters, digits, '.', '_' and '-' (NAME=PATH sets it)")
    }
  }

  private static let nameBytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".utf8)
}

/// A problem with the server's own setup (flags, model files, token file), reported before it
/// starts listening.
public struct ServerSetupError: Error, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
