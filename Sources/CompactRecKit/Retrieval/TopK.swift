import CKernels

/// Top-K selection over a row of scores.
///
/// Order: descending score; equal scores rank the lower index first, so results are
/// deterministic. Entries equal to `-Float.infinity` (masked items) and NaN are never selected.
/// The kernel (C, AVX2 when available) keeps a size-k min-heap and skips 16-score blocks below
/// its threshold: O(count + m log k) for m heap insertions.
public enum TopK {
  /// Writes the indices and scores of the `k` best entries of `scores[0..<count]`, best first,
  /// into `indices` and `values` (each with room for `k`), and returns how many were found
  /// (fewer than `k` when fewer selectable entries exist).
  @inlinable
  public static func select(
    _ scores: UnsafePointer<Float>, count: Int, k: Int, indices: UnsafeMutablePointer<Int32>,
    values: UnsafeMutablePointer<Float>
  ) -> Int {
    precondition(k >= 0 && k <= Int(Int32.max))
    return Int(crk_topk_select(scores, Int64(count), Int32(k), indices, values))
  }

  /// Convenience for arrays: the best `k` indices of `scores`, best first.
  public static func select(_ scores: [Float], k: Int) -> [Int32] {
    let kk = max(0, min(k, scores.count))
    if kk == 0 { return [] }
    var idx = [Int32](repeating: 0, count: kk + 1)
    var val = [Float](repeating: 0, count: kk + 1)
    let n = scores.withUnsafeBufferPointer { s in
      idx.withUnsafeMutableBufferPointer { ip in
        val.withUnsafeMutableBufferPointer { vp in
          select(s.baseAddress!, count: s.count, k: kk, indices: ip.baseAddress!, values: vp.baseAddress!)
        }
      }
    }
    return Array(idx[0..<n])
  }
}
