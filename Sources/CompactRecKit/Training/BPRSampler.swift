import Foundation

/// How an epoch picks the (user, positive item) pairs of its BPR triples.
public enum PositiveSampling: String, Sendable, CaseIterable, Codable {
  /// Every training interaction once, in a random order: active users weigh more.
  case interactions
  /// As many pairs as interactions, each a user drawn uniformly (among users with training
  /// items) and one of that user's items drawn uniformly, as the LightGCN reference code
  /// samples: every user weighs the same.
  case users
}

/// Draws BPR training triples (user, positive item, negative item).
///
/// Each epoch draws as many (user, positive) pairs as there are training interactions, as
/// `PositiveSampling` says, in a seeded random order, and pairs each with a negative drawn
/// from the items the user has not interacted with in training (rejection sampling against
/// the CSR row): uniformly, or in proportion to a power of the items' popularity.
public struct BPRSampler {
  /// The user-item training matrix (deduplicated).
  public let interactions: InteractionMatrix
  /// How positives are drawn.
  public let sampling: PositiveSampling
  private var pairs: [(user: Int32, item: Int32)]
  private var generator: SeededGenerator
  /// Users with at least one training item (for `.users`).
  private let activeUsers: [Int32]
  /// The draw of `NegativeSampling.popularity`; nil draws uniformly.
  private let popularity: AliasTable?

  /// A sampler over the fitted training interactions of `matrix`, whose negatives are drawn
  /// as `negatives` says (`.dynamic` draws its candidates uniformly).
  public init(
    matrix: InteractionMatrix, seed: UInt64, sampling: PositiveSampling = .interactions,
    negatives: NegativeSampling = .uniform
  ) {
    interactions = matrix
    self.sampling = sampling
    if case .popularity(let exponent) = negatives {
      // Plus one, so that every item the user lacks can still be drawn.
      popularity = AliasTable(weights: matrix.columnCounts().map { Foundation.pow(Double($0 + 1), exponent) })
    } else {
      popularity = nil
    }
    activeUsers = (0..<matrix.rowCount).filter { matrix.rowLength($0) > 0 }.map { Int32($0) }
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

  /// Draws the next epoch's pairs: a new order of the interactions, or new uniform draws.
  public mutating func shuffle() {
    switch sampling {
    case .interactions:
      pairs.shuffle(using: &generator)
    case .users:
      for t in pairs.indices {
        let u = activeUsers[generator.index(below: activeUsers.count)]
        let row = interactions.row(Int(u))
        pairs[t] = (u, row[row.startIndex + generator.index(below: row.count)])
      }
    }
  }

  /// Fills `users`, `positives` and `negatives` with triples `range` of the current order.
  /// Each negative is the item `choose` picks for the user among `candidates` draws
  /// (with one candidate, that draw; the draws consume the generator the same way either way).
  public mutating func fill(
    _ range: Range<Int>, users: inout [Int32], positives: inout [Int32], negatives: inout [Int32],
    candidates: Int = 1, choose: ((_ user: Int32, _ candidates: UnsafeBufferPointer<Int32>) -> Int32)? = nil
  ) {
    precondition(candidates >= 1, "at least one candidate")
    users.removeAll(keepingCapacity: true)
    positives.removeAll(keepingCapacity: true)
    negatives.removeAll(keepingCapacity: true)
    let items = interactions.columnCount
    var pool = [Int32](repeating: 0, count: candidates)
    for t in range {
      let (u, i) = pairs[t]
      users.append(u)
      positives.append(i)
      for c in 0..<candidates {
        var j: Int32
        repeat {
          j = Int32(popularity?.draw(using: &generator) ?? generator.index(below: items))
        } while interactions.contains(row: Int(u), column: j)
          && interactions.rowLength(Int(u)) < items
        pool[c] = j
      }
      if let choose, candidates > 1 {
        negatives.append(pool.withUnsafeBufferPointer { choose(u, $0) })
      } else {
        negatives.append(pool[0])
      }
    }
  }
}
