import CompactRecKit
import Dispatch
import Foundation

/// Sends concurrent requests to a sequential model through its encoder together, as Triton's
/// dynamic batcher does: the first request of a batch waits at most `wait` for others, a full
/// batch goes at once, and batches run one at a time on the batcher's own thread (off the
/// event loops and off the task pool), so requests that arrive during a pass make up the next.
///
/// Every request gets exactly the ranking it would get alone: the search of a batch is the
/// search of each of its queries, and each request's `k` best are a prefix of a larger `k`.
final class DynamicBatcher: @unchecked Sendable {
  // @unchecked: `pending` and `flushScheduled` are only touched under `lock`.

  /// Searches a batch of queries for their `k` best items.
  typealias Search = @Sendable ([ScoringQuery], Int) -> [Ranking]

  private struct Entry {
    var queries: [ScoringQuery]
    var k: Int
    var continuation: CheckedContinuation<[Ranking], Never>
  }

  private let search: Search
  private let wait: Duration
  /// The most queries one pass takes.
  let maxRows: Int
  private let queue = DispatchQueue(label: "compactrec.batcher", qos: .userInitiated)
  private let lock = NSLock()
  private var pending: [Entry] = []
  private var pendingRows = 0
  private var flushScheduled = false
  private let onPass: @Sendable (Int) -> Void

  /// A batcher over `search`; `onPass` hears the number of queries of every pass (for metrics).
  init(
    wait: Duration, maxRows: Int = 256, onPass: @escaping @Sendable (Int) -> Void = { _ in },
    search: @escaping Search
  ) {
    self.wait = wait
    self.maxRows = maxRows
    self.onPass = onPass
    self.search = search
  }

  /// The `k` best items of each query, searched together with whatever else is pending.
  func search(_ queries: [ScoringQuery], k: Int) async -> [Ranking] {
    guard !queries.isEmpty else { return [] }
    return await withCheckedContinuation { continuation in
      lock.withLock {
        pending.append(Entry(queries: queries, k: k, continuation: continuation))
        pendingRows += queries.count
        if pendingRows >= maxRows {
          queue.async { self.flush() }
        } else if !flushScheduled {
          flushScheduled = true
          let delay = DispatchTimeInterval.nanoseconds(Int(wait.seconds * 1e9))
          queue.asyncAfter(deadline: .now() + delay) { self.flush() }
        }
      }
    }
  }

  /// Runs everything pending, in passes of at most `maxRows` queries. On `queue` only.
  private func flush() {
    while true {
      let batch: [Entry] = lock.withLock {
        var taken: [Entry] = []
        var count = 0
        while let first = pending.first, taken.isEmpty || count + first.queries.count <= maxRows {
          taken.append(pending.removeFirst())
          count += first.queries.count
        }
        pendingRows -= count
        if pending.isEmpty { flushScheduled = false }
        return taken
      }
      guard !batch.isEmpty else { return }
      let k = batch.map(\.k).max()!
      let queries = batch.flatMap(\.queries)
      onPass(queries.count)
      let rankings = search(queries, k)
      var offset = 0
      for entry in batch {
        let mine = rankings[offset..<(offset + entry.queries.count)].map { r in
          Ranking(items: Array(r.items.prefix(entry.k)), scores: Array(r.scores.prefix(entry.k)))
        }
        offset += entry.queries.count
        entry.continuation.resume(returning: mine)
      }
    }
  }
}
