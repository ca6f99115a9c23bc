/// The per-user lists a split produces; see `SplitStrategy` for what each strategy puts where.
struct SplitLists {
  /// Per user, the items to fit (or, for held-out users, their history).
  var train: [[Int32]]
  /// Per user, the items for model selection.
  var validation: [[Int32]]
  /// Per user, the items for the final figures.
  var test: [[Int32]]
  /// Per user, whether `train` is history only (by-sequence splits).
  var heldOutUsers: [Bool]

  /// Empty lists for `userCount` users, none held out.
  init(_ userCount: Int) {
    train = Array(repeating: [], count: userCount)
    validation = train
    test = train
    heldOutUsers = Array(repeating: false, count: userCount)
  }
}

/// Splits per-user sequences (in time order) into train, validation and test. Every split
/// keeps each list in the sequence's order, and the random ones are reproducible from their
/// seed.
enum Splits {
  /// Splits `sequences` by `strategy`. Precondition: `strategy` is not `.given`, which comes
  /// from files rather than from a computation.
  static func split(_ sequences: [[Int32]], by strategy: SplitStrategy) -> SplitLists {
    switch strategy {
    case .given: preconditionFailure("a given split is read from its files")
    case .leaveOneOut: return leaveOneOut(sequences)
    case .randomRatio(let test, let validation, let seed):
      return randomRatio(sequences, test: test, validation: validation, seed: seed)
    case .bySequence(let fraction, let validation, let seed):
      return bySequence(sequences, testFraction: fraction, validationFraction: validation, seed: seed)
    }
  }

  /// Last item to test, second-to-last to validation, the rest to train; one item: train
  /// only; two items: train and test. O(interactions).
  static func leaveOneOut(_ sequences: [[Int32]]) -> SplitLists {
    var lists = SplitLists(sequences.count)
    for (user, sequence) in sequences.enumerated() {
      let n = sequence.count
      switch n {
      case 0...1: lists.train[user] = sequence
      case 2:
        lists.train[user] = [sequence[0]]
        lists.test[user] = [sequence[1]]
      default:
        lists.train[user] = Array(sequence[..<(n - 2)])
        lists.validation[user] = [sequence[n - 2]]
        lists.test[user] = [sequence[n - 1]]
      }
    }
    return lists
  }

  /// Per user with n items: round(test * n) random items to test and round(validation * n)
  /// to validation, reduced (validation first) so that at least one stays in train. Users are
  /// drawn in index order from one generator seeded with `seed`. O(interactions).
  static func randomRatio(
    _ sequences: [[Int32]], test: Double, validation: Double, seed: UInt64
  ) -> SplitLists {
    var generator = SeededGenerator(seed: seed)
    var lists = SplitLists(sequences.count)
    for (user, sequence) in sequences.enumerated() where !sequence.isEmpty {
      let n = sequence.count
      let testCount = min(Int((test * Double(n)).rounded()), n - 1)
      let validationCount = min(Int((validation * Double(n)).rounded()), n - 1 - testCount)
      // 0 = train, 1 = validation, 2 = test, per position.
      var part = [UInt8](repeating: 0, count: n)
      let drawn = seededSample(testCount + validationCount, of: n, using: &generator)
      for (k, position) in drawn.enumerated() { part[position] = k < testCount ? 2 : 1 }
      for (position, item) in sequence.enumerated() {
        switch part[position] {
        case 2: lists.test[user].append(item)
        case 1: lists.validation[user].append(item)
        default: lists.train[user].append(item)
        }
      }
    }
    return lists
  }

  /// Holds out round(testFraction * m) random users out of the m with at least two items:
  /// their last item is test and the rest is history (in train, flagged in `heldOutUsers`).
  /// Everyone else's whole sequence is train, except that round(validationFraction * v) random
  /// ones of the v others with at least three items move their last item to validation.
  /// O(interactions).
  static func bySequence(
    _ sequences: [[Int32]], testFraction: Double, validationFraction: Double = 0, seed: UInt64
  ) -> SplitLists {
    var generator = SeededGenerator(seed: seed)
    var lists = SplitLists(sequences.count)
    lists.train = sequences
    let eligible = sequences.indices.filter { sequences[$0].count >= 2 }
    let heldOutCount = Int((testFraction * Double(eligible.count)).rounded())
    for k in seededSample(heldOutCount, of: eligible.count, using: &generator) {
      let user = eligible[k]
      lists.heldOutUsers[user] = true
      lists.test[user] = [lists.train[user].removeLast()]
    }
    let fitted = sequences.indices.filter { !lists.heldOutUsers[$0] && sequences[$0].count >= 3 }
    let validationCount = Int((validationFraction * Double(fitted.count)).rounded())
    for k in seededSample(validationCount, of: fitted.count, using: &generator) {
      let user = fitted[k]
      lists.validation[user] = [lists.train[user].removeLast()]
    }
    return lists
  }
}

extension Dataset {
  /// Whether any user has validation items (of the data's own split, or carved).
  public var hasValidationItems: Bool { validation.contains { !$0.isEmpty } }

  /// A copy in which a seeded random `fraction` of each fitted user's train items (rounded,
  /// keeping at least one in train) moves to the end of that user's validation list, in
  /// train order. Gives early stopping its own held-out items without touching test. Users
  /// in `heldOutUsers` are left alone: their train list is evaluation history.
  /// Precondition: `0 < fraction < 1`. O(interactions).
  public func carvingValidation(fraction: Double, seed: UInt64) -> Dataset {
    precondition(fraction > 0 && fraction < 1, "fraction must be in (0, 1)")
    var generator = SeededGenerator(seed: seed)
    var carved = self
    for user in 0..<userCount where !heldOutUsers[user] {
      let list = train[user]
      let count = min(Int((fraction * Double(list.count)).rounded()), list.count - 1)
      guard count > 0 else { continue }
      var moves = [Bool](repeating: false, count: list.count)
      for position in seededSample(count, of: list.count, using: &generator) {
        moves[position] = true
      }
      carved.train[user] = list.indices.filter { !moves[$0] }.map { list[$0] }
      carved.validation[user] += list.indices.filter { moves[$0] }.map { list[$0] }
    }
    return carved
  }

  /// The same data with each fitted user's validation items moved to the end of their
  /// training items, for a refit on everything but the test split once validation has chosen
  /// the stopping point. The fingerprint is kept. O(interactions).
  public func mergingValidation() -> Dataset {
    var merged = self
    for user in 0..<userCount where !heldOutUsers[user] && !validation[user].isEmpty {
      merged.train[user] += validation[user]
      merged.validation[user] = []
    }
    return merged
  }
}

/// `count` distinct values of `0..<n` chosen uniformly at random, in the order drawn (a
/// partial Fisher-Yates shuffle written out, so the result depends only on the generator and
/// not on the standard library's shuffle). Precondition: `0 <= count <= n`. O(n).
func seededSample(_ count: Int, of n: Int, using generator: inout SeededGenerator) -> [Int] {
  precondition(count >= 0 && count <= n, "cannot draw \(count) of \(n)")
  var pool = Array(0..<n)
  for i in 0..<count {
    pool.swapAt(i, i + generator.index(below: n - i))
  }
  return Array(pool[..<count])
}
