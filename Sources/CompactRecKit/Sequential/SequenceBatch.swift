/// Left-padded, length-capped sequences for teacher-forced training and for scoring.
///
/// Shapes: `inputs`, `targets` and `valid` are (count * length), sequence b's positions at
/// b * length ..< (b + 1) * length. Padding positions read the padding id, are not valid and
/// have no target. The window `length` is the longest sequence's, capped at `maxLength`, so a
/// batch of short sequences carries little padding (the encoders' outputs do not depend on
/// it).
public struct SequenceBatch: Sendable, Equatable {
  /// Positions per sequence (T).
  public let length: Int
  /// Item ids, or the padding id.
  public var inputs: [Int32]
  /// The next item at each position, or `SoftmaxCrossEntropy.noTarget`.
  public var targets: [Int32]
  /// False at padding positions.
  public var valid: [Bool]

  public var count: Int { inputs.count / length }

  /// Teacher forcing: for each sequence s (oldest first, at least two items), position t reads
  /// s[t] and predicts s[t + 1], keeping the last `maxLength` such pairs.
  public init(training sequences: [[Int32]], maxLength: Int, padding: Int32) {
    let length = max(1, min(maxLength, sequences.map { $0.count - 1 }.max() ?? 1))
    self.length = length
    inputs = [Int32](repeating: padding, count: sequences.count * length)
    targets = [Int32](repeating: SoftmaxCrossEntropy.noTarget, count: sequences.count * length)
    valid = [Bool](repeating: false, count: sequences.count * length)
    for (b, s) in sequences.enumerated() where s.count >= 2 {
      let pairs = min(length, s.count - 1)
      let first = s.count - 1 - pairs
      for k in 0..<pairs {
        let p = b * length + length - pairs + k
        inputs[p] = s[first + k]
        targets[p] = s[first + k + 1]
        valid[p] = true
      }
    }
  }

  /// Histories to score: the last `maxLength` items of each, no targets. An empty history
  /// gives an all-padding row.
  public init(histories: [[Int32]], maxLength: Int, padding: Int32) {
    let length = max(1, min(maxLength, histories.map(\.count).max() ?? 1))
    self.length = length
    inputs = [Int32](repeating: padding, count: histories.count * length)
    targets = [Int32](repeating: SoftmaxCrossEntropy.noTarget, count: histories.count * length)
    valid = [Bool](repeating: false, count: histories.count * length)
    for (b, h) in histories.enumerated() {
      let n = min(length, h.count)
      for k in 0..<n {
        let p = b * length + length - n + k
        inputs[p] = h[h.count - n + k]
        valid[p] = true
      }
    }
  }
}

extension SequenceBatch {
  /// One negative per position with a target (`SoftmaxCrossEntropy.noTarget` elsewhere): a
  /// uniform item in 0 ..< items that does not occur in that sequence's window (its inputs
  /// and targets), as SASRec samples them. Precondition: every window leaves some item out.
  public func sampledNegatives(items: Int, generator: inout SeededGenerator) -> [Int32] {
    var negatives = [Int32](repeating: SoftmaxCrossEntropy.noTarget, count: targets.count)
    for b in 0..<count {
      let window = b * length..<(b + 1) * length
      let present = Set(window.map { inputs[$0] } + window.map { targets[$0] })
      for p in window where targets[p] != SoftmaxCrossEntropy.noTarget {
        var item: Int32
        repeat { item = Int32(generator.index(below: items)) } while present.contains(item)
        negatives[p] = item
      }
    }
    return negatives
  }
}
