import Foundation

/// The built-in demo data set, generated deterministically from a seed, so CompactRec can be
/// tried (and its models compared) without downloading anything.
///
/// The generator plants the structure real interaction logs have:
/// - taste groups: every user belongs to one group and mostly consumes its items, so
///   collaborative filtering has something to find;
/// - Zipf-like popularity: within and across groups a few items are far more popular,
///   so MostPop is a real (if weak) baseline;
/// - order: each group's items form a chain, and a user mostly steps to the next item of the
///   chain, so sequential models can learn "what comes next".
public struct SyntheticData: Sendable {
  public var users = 3000
  public var items = 1500
  public var groups = 12
  /// Mean history length (lengths are uniform in [mean/2, 3*mean/2]).
  public var meanLength = 30
  /// Zipf exponent of item popularity.
  public var zipfExponent = 1.0
  /// Probability that a step follows the group's chain; otherwise a popular item is drawn.
  public var chainProbability = 0.6
  /// Probability that a non-chain step leaves the user's group.
  public var noise = 0.15
  public var seed: UInt64 = 7

  public init() {}

  /// Generates the interactions and splits them leave-one-out (last item = test, the one
  /// before = validation), the protocol shared by general and sequential models.
  public func generate() -> Dataset {
    var g = SeededGenerator(seed: seed)
    // Items: group membership and a popularity weight from a random Zipf rank.
    var ranks = Array(0..<items)
    ranks.shuffle(using: &g)
    var weight = [Double](repeating: 0, count: items)
    var groupItems = [[Int]](repeating: [], count: groups)
    for i in 0..<items {
      weight[i] = 1 / pow(Double(ranks[i] + 1), zipfExponent)
      groupItems[i % groups].append(i)
    }
    for k in 0..<groups { groupItems[k].shuffle(using: &g) }  // the chain order
    let groupSamplers = groupItems.map { AliasTable(weights: $0.map { weight[$0] }) }
    let allSampler = AliasTable(weights: weight)
    var position = [Int](repeating: 0, count: items)
    for k in 0..<groups { for (p, i) in groupItems[k].enumerated() { position[i] = p } }

    var sequences: [[Int32]] = []
    for u in 0..<users {
      let k = u % groups
      let chain = groupItems[k]
      let length = meanLength / 2 + g.index(below: meanLength + 1)
      var current = chain[groupSamplers[k].draw(using: &g)]
      var seq: [Int32] = [Int32(current)]
      while seq.count < length {
        let r = Double(g.unitFloat())
        if r < chainProbability && current % groups == k {
          current = chain[(position[current] + 1) % chain.count]
        } else if r < chainProbability + (1 - chainProbability) * (1 - noise) {
          current = chain[groupSamplers[k].draw(using: &g)]
        } else {
          current = allSampler.draw(using: &g)
        }
        seq.append(Int32(current))
      }
      sequences.append(seq)
    }
    var userMap = IDMap()
    for u in 0..<users { userMap.intern("u\(u)") }
    var itemMap = IDMap()
    for i in 0..<items { itemMap.intern("i\(i)") }
    var train: [[Int32]] = []
    var validation: [[Int32]] = []
    var test: [[Int32]] = []
    for s in sequences {
      train.append(Array(s.dropLast(2)))
      validation.append([s[s.count - 2]])
      test.append([s[s.count - 1]])
    }
    var summary = LoadSummary()
    summary.files = ["synthetic(seed: \(seed))"]
    summary.interactions = sequences.reduce(0) { $0 + $1.count }
    summary.hasTimestamps = true
    return Dataset(
      name: "demo", users: userMap, items: itemMap, train: train, validation: validation, test: test,
      summary: summary)
  }
}
