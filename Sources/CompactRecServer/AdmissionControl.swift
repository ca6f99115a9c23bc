import Foundation

/// Bounds the scoring work in the server. A request is admitted while fewer than
/// `concurrentScoring + maxQueued` requests are in scoring or waiting for it, else it gets 503
/// at once; an admitted request that has waited past `queueTimeout` when its turn comes gets
/// 503 too, instead of adding work to a queue the server cannot drain. Both answers carry
/// `Retry-After`.
final class AdmissionControl: @unchecked Sendable {
  // @unchecked: `inFlight` and `shed` are only touched under `lock`.
  private let capacity: Int
  private let queueTimeout: Duration
  private let lock = NSLock()
  private var inFlight = 0
  private var shed = 0

  init(limits: ServerLimits) {
    capacity = limits.concurrentScoring + limits.maxQueued
    queueTimeout = limits.queueTimeout
  }

  /// Runs `work` for a request that arrived at `arrival`, or throws `APIError.overloaded`.
  func admit<T>(arrival: ContinuousClock.Instant, _ work: () async throws -> T) async throws -> T {
    try lock.withLock {
      guard inFlight < capacity else {
        shed += 1
        throw APIError.overloaded("the server is at its limit of \(capacity) requests in progress")
      }
      inFlight += 1
    }
    defer { lock.withLock { inFlight -= 1 } }
    await Task.yield()  // let requests that came first take the cores first
    guard ContinuousClock.now - arrival <= queueTimeout else {
      lock.withLock { shed += 1 }
      throw APIError.overloaded("the request waited longer than \(queueTimeout) for scoring")
    }
    return try await work()
  }

  /// Requests turned away so far.
  var shedCount: Int { lock.withLock { shed } }
}
