/// Items ordered by training frequency and cut into blocks (CpRec): block 0 holds the most
/// frequent items, each later block rarer ones. The block-wise embedding and softmax give
/// rarer blocks narrower vectors.
///
/// `order[r]` is the item of frequency rank r (ties broken by the smaller index) and
/// `ends[b]` the rank just past block b, so block b holds ranks `ends[b-1] ..< ends[b]`.
public struct FrequencyBlocks: Sendable, Equatable {
  /// Items by descending frequency.
  public let order: [Int32]
  /// The exclusive end rank of each block, ascending; the last is the item count.
  public let ends: [Int]
  /// `rank[item]`: the item's position in `order`.
  public let rank: [Int32]

  /// Blocks over a known order. Preconditions: `order` is a permutation of 0 ..< n, `ends` is
  /// strictly increasing, positive and ends at n.
  public init(order: [Int32], ends: [Int]) {
    let n = order.count
    precondition(!ends.isEmpty && ends.last == n && ends.first! > 0, "block ends must be positive and end at \(n)")
    precondition(zip(ends, ends.dropFirst()).allSatisfy { $0 < $1 }, "block ends must increase")
    var rank = [Int32](repeating: -1, count: n)
    for (r, item) in order.enumerated() {
      precondition(item >= 0 && Int(item) < n && rank[Int(item)] < 0, "order must be a permutation")
      rank[Int(item)] = Int32(r)
    }
    self.order = order
    self.ends = ends
    self.rank = rank
  }

  /// Items ordered by `counts` (descending) and cut at the given block sizes' running sums;
  /// `cutoffs` are the exclusive end ranks of every block but the last (e.g. [2000, 6000]).
  /// Throws when a cutoff is not inside 1 ..< items or they do not increase.
  public init(counts: [Int], cutoffs: [Int]) throws(FrequencyBlocksError) {
    let n = counts.count
    guard zip(cutoffs, cutoffs.dropFirst()).allSatisfy({ $0 < $1 }), cutoffs.allSatisfy({ $0 > 0 && $0 < n }) else {
      throw .badCutoffs(cutoffs, items: n)
    }
    self.init(order: Self.frequencyOrder(counts), ends: cutoffs + [n])
  }

  /// Items ordered by `counts` and cut so that the blocks hold about the given shares of all
  /// interactions: e.g. shares [0.5, 0.3, 0.2] give a head of the items that make up half of
  /// the interactions, and two tail blocks. Every block keeps at least one item. Throws
  /// when a share is not positive, there are more blocks than items, or there are no items.
  public init(counts: [Int], shares: [Double]) throws(FrequencyBlocksError) {
    let n = counts.count
    guard !shares.isEmpty, shares.allSatisfy({ $0 > 0 }), shares.count <= n else {
      throw .badShares(shares, items: n)
    }
    let order = Self.frequencyOrder(counts)
    let total = Double(max(1, counts.reduce(0, +)))
    let sum = shares.reduce(0, +)
    var ends: [Int] = []
    var covered = 0.0
    var mass = 0.0
    var r = 0
    for (b, share) in shares.dropLast().enumerated() {
      covered += share / sum
      // Take items until the blocks so far hold their running share of the interactions,
      // leaving one item for every later block.
      let limit = n - (shares.count - 1 - b)
      repeat {
        mass += Double(counts[Int(order[r])])
        r += 1
      } while r < limit && mass / total < covered
      ends.append(r)
    }
    ends.append(n)
    self.init(order: order, ends: ends)
  }

  /// The default cut: a head block with half of the interactions, then blocks with 30% and
  /// 20% (`init(counts:shares:)`).
  public static let defaultShares = [0.5, 0.3, 0.2]

  /// Items by descending count, the smaller index first among equals.
  static func frequencyOrder(_ counts: [Int]) -> [Int32] {
    (0..<counts.count).sorted { (counts[$0], -$0) > (counts[$1], -$1) }.map { Int32($0) }
  }

  public var blockCount: Int { ends.count }
  public var itemCount: Int { order.count }

  /// The first rank of block b.
  public func start(_ b: Int) -> Int { b == 0 ? 0 : ends[b - 1] }
  /// Items in block b.
  public func size(_ b: Int) -> Int { ends[b] - start(b) }

  /// The block of an item and its row within the block. O(blocks).
  public func locate(_ item: Int32) -> (block: Int, row: Int) {
    let r = Int(rank[Int(item)])
    var b = 0
    while r >= ends[b] { b += 1 }
    return (b, r - start(b))
  }

  /// The width of block b's vectors: d / factor^b, at least 1.
  public static func width(block b: Int, dim: Int, factor: Int) -> Int {
    var w = dim
    for _ in 0..<b { w /= max(1, factor) }
    return max(1, w)
  }
}

/// Bad block settings given by a user.
public enum FrequencyBlocksError: Error, Equatable, CustomStringConvertible {
  case badCutoffs([Int], items: Int)
  case badShares([Double], items: Int)
  case badWidths([Int], most: Int)
  case countMismatch(widths: Int, blocks: Int)
  case scaledCutoffs([Int], rows: Int)
  case tooFewRows(blocks: Int, rows: Int)

  public var description: String {
    switch self {
    case .badCutoffs(let c, let n):
      return "block cutoffs \(c) must increase strictly and lie inside 1..<\(n) (the item count)"
    case .badShares(let s, let n):
      return "block shares \(s) must be positive, at most \(n) of them (the item count)"
    case .badWidths(let w, let most):
      return "block widths \(w) must be 1 to \(most) widths of 1, 2, 3, 4 or 8 bits"
    case .scaledCutoffs(let c, let n):
      return
        "block cutoffs scaled to the \(n) users, \(c), must increase strictly inside 1..<\(n); cut by shares instead"
    case .tooFewRows(let blocks, let rows):
      return "\(blocks) frequency blocks need at least \(blocks) users and items (there are \(rows))"
    case .countMismatch(let widths, let blocks):
      return "\(widths) block widths need \(widths) blocks, but the shares or cutoffs make \(blocks)"
    }
  }
}
