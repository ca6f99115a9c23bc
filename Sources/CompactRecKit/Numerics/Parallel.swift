import Dispatch
import Foundation

/// Splitting work over the machine's cores.
public enum Parallel {
  /// Worker count used by every parallel loop: the active processor count, or the value of
  /// the `COMPACTREC_THREADS` environment variable when set (for measuring scaling).
  public static let workers: Int = {
    if let text = ProcessInfo.processInfo.environment["COMPACTREC_THREADS"], let n = Int(text),
      n > 0
    {
      return n
    }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }()

  /// Calls `body` once for each of `count` contiguous chunks of `0..<total`, in parallel.
  /// Chunks are as equal as possible; `body` receives the chunk index and its range.
  /// Runs inline when there is one chunk, so small work pays no dispatch cost.
  public static func forEachChunk(
    of total: Int, chunks count: Int = workers, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void
  ) {
    let n = max(1, min(count, total))
    if total == 0 { return }
    if n == 1 {
      body(0, 0..<total)
      return
    }
    withoutActuallyEscaping(body) { body in
      // The chunks are disjoint: concurrent calls of `body` share nothing it writes.
      nonisolated(unsafe) let body = body
      DispatchQueue.concurrentPerform(iterations: n) { c in
        let lo = total * c / n
        let hi = total * (c + 1) / n
        body(c, lo..<hi)
      }
    }
  }

  /// Calls `body(i)` for every `i` in `0..<total`, handing out blocks of `grain` indices
  /// dynamically so uneven work (long and short rows) still balances across cores.
  public static func forEach(_ total: Int, grain: Int = 64, _ body: (Int) -> Void) {
    if total == 0 { return }
    let blocks = (total + grain - 1) / grain
    if blocks == 1 || workers == 1 {
      for i in 0..<total { body(i) }
      return
    }
    withoutActuallyEscaping(body) { body in
      // Each index is handed out once: concurrent calls of `body` share nothing it writes.
      nonisolated(unsafe) let body = body
      DispatchQueue.concurrentPerform(iterations: blocks) { b in
        let hi = min(total, (b + 1) * grain)
        for i in (b * grain)..<hi { body(i) }
      }
    }
  }

  /// Runs `first` and `second` at the same time, on two cores (one after the other with one
  /// worker): a one-core phase and work that can fill the other core meanwhile.
  public static func together(_ first: () -> Void, _ second: () -> Void) {
    forEach(2, grain: 1) { $0 == 0 ? first() : second() }
  }
}
