import CompactRecKit
import Dispatch
import Foundation

/// Sends concurrent requests to a sequential model through its encoder together, as Triton's
/// dynamic batcher does: a request that finds a free worker waits at most `wait` for others to
/// join its batch, a full batch goes at once, and up to `workers` batches (one per core by
/// default, like Triton's model instances) run at the same time on threads of their own, off the
/// event loops and the task pool. Requests that arrive while every worker is busy make up the
/// next batch and go as soon as a worker is free.
///
/// Every request gets exactly the ranking it would get alone: the search of a batch is the
/// search of each of its queries, and each request's `k` best are a prefix of a larger `k`.
/// A request whose deadline has passed when its pass starts is not searched (it gets nil).
/// Once `drain()` is called (at shutdown) nothing waits for company any more.
final class DynamicBatcher: @unchecked Sendable {
  // @unchecked: `pending`, `pendingRows`, `running`, `timerSet` and `draining` are only touched
  // under `lock`.

  /// Searches a batch of queries for their `k` best items.
  typealias Search = @Sendable ([ScoringQuery], Int) -> [Ranking]

  private struct Entry {
    var queries: [ScoringQuery]
    var k: Int
    var deadline: ContinuousClock.Instant
    var continuation: CheckedContinuation<[Ranking]?, Never>
  }

  private let search: Search
  private let wait: DispatchTimeInterval
  /// The most queries one pass takes.
  let maxRows: Int
  /// The most passes at once.
  let workers: Int
  private let onPass: @Sendable (Int) -> Void
  private let timers = DispatchQueue(label: "compactrec.batcher.timer")
  private let lock = NSLock()
  private var pending: [Entry] = []
  private var pendingRows = 0
  private var running = 0
  private var timerSet = false
  private var draining = false

  /// A batcher over `search`; `onPass` hears the number of queries of every pass (for metrics).
  init(
    wait: Duration, maxRows: Int = 256, workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount),
    onPass: @escaping @Sendable (Int) -> Void = { _ in }, search: @escaping Search
  ) {
    self.wait = .nanoseconds(Int(wait.seconds * 1e9))
    self.maxRows = maxRows
    self.workers = workers
    self.onPass = onPass
    self.search = search
  }

  /// The `k` best items of each query, searched together with whatever else is pending; nil
  /// when no pass could start before `deadline`.
  func search(_ queries: [ScoringQuery], k: Int, deadline: ContinuousClock.Instant) async -> [Ranking]? {
    guard !queries.isEmpty else { return [] }
    return await withCheckedContinuation { continuation in
      let batches: [[Entry]] = lock.withLock {
        pending.append(Entry(queries: queries, k: k, deadline: deadline, continuation: continuation))
        pendingRows += queries.count
        guard running < workers else { return [] }  // a finishing pass takes it
        if pendingRows >= maxRows || draining { return takeBatches() }
        if !timerSet {
          timerSet = true
          timers.asyncAfter(deadline: .now() + wait) { self.timerFired() }
        }
        return []
      }
      start(batches)
    }
  }

  /// Sends what is pending to the free workers now, and every later request without waiting
  /// for others: a server that is shutting down finishes its requests instead of holding them
  /// for the batch window.
  func drain() {
    start(
      lock.withLock {
        draining = true
        return takeBatches()
      })
  }

  private func timerFired() {
    start(
      lock.withLock {
        timerSet = false
        return takeBatches()
      })
  }

  /// Batches of pending requests for the free workers, marked running. Under `lock`.
  private func takeBatches() -> [[Entry]] {
    var batches: [[Entry]] = []
    while running < workers, !pending.isEmpty {
      var count = 0
      let n = pending.prefix { entry in
        defer { count += entry.queries.count }
        return count == 0 || count + entry.queries.count <= maxRows
      }.count
      let batch = Array(pending.prefix(n))
      pending.removeFirst(n)
      pendingRows -= batch.reduce(0) { $0 + $1.queries.count }
      running += 1
      batches.append(batch)
    }
    return batches
  }

  private func start(_ batches: [[Entry]]) {
    for batch in batches { DispatchQueue.global(qos: .userInitiated).async { self.run(batch) } }
  }

  /// Runs one pass, answers its requests, then takes what waited meanwhile.
  private func run(_ entries: [Entry]) {
    let now = ContinuousClock.now
    for entry in entries where entry.deadline < now { entry.continuation.resume(returning: nil) }
    let batch = entries.filter { $0.deadline >= now }
    if !batch.isEmpty { answer(batch) }
    start(
      lock.withLock {
        running -= 1
        return takeBatches()
      })
  }

  /// Searches `batch` in one pass and gives every request its rankings.
  private func answer(_ batch: [Entry]) {
    let k = batch.map(\.k).max()!
    let queries = batch.flatMap(\.queries)
    onPass(queries.count)
    let rankings = search(queries, k)
    var offset = 0
    for entry in batch {
      let mine = rankings[offset..<(offset + entry.queries.count)].map { $0.prefix(entry.k) }
      offset += entry.queries.count
      entry.continuation.resume(returning: mine)
    }
  }
}
