/// Draws BPR training triples (user, positive item, negative item).
///
/// Each epoch visits every training interaction once in a seeded random order and pairs it
/// with a negative drawn uniformly from the items the user has not interacted with in
/// training (rejection sampling against the CSR row).
public struct BPRSampler {
  /// The user-item training matrix (deduplicated).
  public let interactions: InteractionMatrix
  private var pairs: [(user: Int32, item: Int32)]
  private var generator: SeededGenerator

  /// A sampler over the fitted training interactions of `matrix`.
  public init(matrix: InteractionMatrix, seed: UInt64) {
    interactions = matrix
    var p: [(Int32, Int32)] = []
    p.reserveCapacity(matrix.nonZeroCount)
    for u in 0..<matrix.rowCount {
      for i in matrix.row(u) { p.append((Int32(u), i)) }
    }
    pairs = p
    generator = SeededGenerator(seed: seed)
  }

  /// The current epoch order and generator state, for checkpoints.
  public var state: (users: [Int32], items: [Int32], generator: [UInt64]) {
    (pairs.map(\.user), pairs.map(\.item), generator.state)
  }

  /// Continues from a saved `state`. Throws when it does not fit this sampler's interactions.
  public mutating func restore(users: [Int32], items: [Int32], generator state: [UInt64]) throws {
    guard users.count == pairs.count, items.count == pairs.count, state.count == 4 else {
      throw CheckpointError.mismatch("the sampler state does not match the training interactions")
    }
    pairs = zip(users, items).map { ($0, $1) }
    generator = SeededGenerator(state: state)
  }

  /// Number of triples per epoch.
  public var count: Int { pairs.count }

  /// Reshuffles the epoch order.
  public mutating func shuffle() { pairs.shuffle(using: &generator) }

  /// Fills `users`, `positives` and `negatives` with triples `range` of the current order.
  public mutating func fill(
    _ range: Range<Int>, users: inout [Int32], positives: inout [Int32], negatives: inout [Int32]
  ) {
    users.removeAll(keepingCapacity: true)
    positives.removeAll(keepingCapacity: true)
    negatives.removeAll(keepingCapacity: true)
    let items = interactions.columnCount
    for t in range {
      let (u, i) = pairs[t]
      users.append(u)
      positives.append(i)
      var j: Int32
      repeat {
        j = Int32(generator.index(below: items))
      } while interactions.contains(row: Int(u), column: j)
        && interactions.rowLength(Int(u)) < items
      negatives.append(j)
    }
  }
}
