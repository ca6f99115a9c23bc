/// Draws indices in proportion to fixed non-negative weights in O(1) per draw (Walker's alias
/// method): a uniform column, then a biased coin between the column and its alias. The demo
/// data's generator and popularity-drawn negatives use it.
public struct AliasTable: Sendable {
  /// Per column, the chance of keeping the column itself rather than its alias.
  private let keep: [Double]
  private let alias: [Int]

  /// A table over `weights`, built in O(n). Precondition: finite, non-negative weights with a
  /// positive sum.
  public init(weights: [Double]) {
    precondition(weights.allSatisfy { $0 >= 0 && $0.isFinite }, "weights must be finite and non-negative")
    let total = weights.reduce(0, +)
    precondition(total > 0, "at least one weight must be positive")
    let n = weights.count
    var scaled = weights.map { $0 * Double(n) / total }
    var keep = [Double](repeating: 1, count: n)
    var alias = Array(0..<n)
    var small = scaled.indices.filter { scaled[$0] < 1 }
    var large = scaled.indices.filter { scaled[$0] >= 1 }
    while let s = small.popLast(), let l = large.last {
      keep[s] = scaled[s]
      alias[s] = l
      scaled[l] -= 1 - scaled[s]
      if scaled[l] < 1 {
        large.removeLast()
        small.append(l)
      }
    }
    // Whatever is left holds probability 1 up to rounding, and keeps itself.
    self.keep = keep
    self.alias = alias
  }

  /// Number of columns.
  public var count: Int { keep.count }

  /// The next index, drawn with probability weight / sum of weights.
  public func draw(using generator: inout SeededGenerator) -> Int {
    let column = generator.index(below: keep.count)
    return Double(generator.unitFloat()) < keep[column] ? column : alias[column]
  }
}
