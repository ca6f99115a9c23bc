import Dispatch
import Foundation

/// Bounds the scoring work in the server, in two ways.
///
/// - **In progress:** at most `concurrentScoring + maxQueued` requests are admitted at once
///   (scoring, waiting for a slot, or waiting in a sequential model's batcher); past that a
///   request gets 503 at once.
/// - **Slots:** work that runs on the request's own task (graph models, similar items) takes one
///   of `concurrentScoring` slots, first come first served. A request still waiting for a slot
///   when `queueTimeout` has passed since it arrived gets 503 instead of adding work to a
///   queue the server cannot drain. (Sequential requests wait in their batcher instead, which
///   applies the same deadline.)
///
/// Both refusals carry `Retry-After`.
final class AdmissionControl: @unchecked Sendable {
  // @unchecked: every stored `var` is only touched under `lock`.
  private struct Waiter {
    let id: UInt64
    let continuation: CheckedContinuation<Bool, Never>
  }

  private let slots: Int
  private let capacity: Int
  let queueTimeout: Duration
  private let lock = NSLock()
  private var inFlight = 0
  private var busy = 0
  private var waiters: [Waiter] = []
  private var nextWaiter: UInt64 = 0
  private var shed = 0
  private let onChange: @Sendable (Int) -> Void

  /// `onChange` hears the number of requests in progress whenever it changes (for metrics).
  init(limits: ServerLimits, onChange: @escaping @Sendable (Int) -> Void = { _ in }) {
    slots = max(1, limits.concurrentScoring)
    let (sum, overflow) = slots.addingReportingOverflow(max(0, limits.maxQueued))
    capacity = overflow ? Int.max : sum
    queueTimeout = limits.queueTimeout
    self.onChange = onChange
  }

  /// Runs `work` for a request that arrived at `arrival`, holding a scoring slot when
  /// `holdsSlot`; throws `APIError.overloaded` when the server is full or the slot does not
  /// come in time.
  func perform<T>(arrival: ContinuousClock.Instant, holdsSlot: Bool, _ work: () async throws -> T) async throws -> T {
    // One lock for the common case: admitted, and a slot free at once.
    let (count, hasSlot): (Int, Bool) = try lock.withLock {
      guard inFlight < capacity else {
        shed += 1
        throw APIError.overloaded("the server is at its limit of \(capacity) requests in progress")
      }
      inFlight += 1
      let free = holdsSlot && busy < slots && waiters.isEmpty
      if free { busy += 1 }
      return (inFlight, free)
    }
    onChange(count)
    if holdsSlot && !hasSlot {
      do {
        try await acquire(deadline: arrival + queueTimeout)
      } catch {
        onChange(
          lock.withLock {
            inFlight -= 1
            return inFlight
          })
        throw error
      }
    }
    defer { finish(holdingSlot: holdsSlot) }
    return try await work()
  }

  /// Leaves the admitted set, handing the slot (when held) to the first waiter or freeing it.
  private func finish(holdingSlot: Bool) {
    let (count, next): (Int, Waiter?) = lock.withLock {
      inFlight -= 1
      guard holdingSlot else { return (inFlight, nil) }
      guard !waiters.isEmpty else {
        busy -= 1
        return (inFlight, nil)
      }
      return (inFlight, waiters.removeFirst())
    }
    next?.continuation.resume(returning: true)
    onChange(count)
  }

  /// Takes a slot, waiting in turn until `deadline` at most.
  private func acquire(deadline: ContinuousClock.Instant) async throws {
    let granted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
      let id: UInt64? = lock.withLock {
        if busy < slots, waiters.isEmpty {  // a slot came free meanwhile
          busy += 1
          return nil
        }
        nextWaiter += 1
        waiters.append(Waiter(id: nextWaiter, continuation: continuation))
        return nextWaiter
      }
      guard let id else { return continuation.resume(returning: true) }
      let remaining = max(0, (deadline - .now).seconds)
      DispatchQueue.global().asyncAfter(deadline: .now() + remaining) { self.expire(id) }
    }
    guard granted else {
      lock.withLock { shed += 1 }
      throw APIError.overloaded("the request waited longer than \(queueTimeout) for scoring")
    }
  }

  /// Turns away waiter `id` if it is still waiting.
  private func expire(_ id: UInt64) {
    let waiter: Waiter? = lock.withLock {
      guard let i = waiters.firstIndex(where: { $0.id == id }) else { return nil }
      return waiters.remove(at: i)
    }
    waiter?.continuation.resume(returning: false)
  }

  /// Requests admitted and not yet answered.
  var inFlightCount: Int { lock.withLock { inFlight } }

  /// Requests turned away so far.
  var shedCount: Int { lock.withLock { shed } }
}
