import Testing

@testable import CompactRecKit

@Suite struct SplitStrategyTests {
  @Test func parsesEveryForm() throws {
    #expect(try SplitStrategy(parsing: "given", seed: 1) == .given)
    #expect(try SplitStrategy(parsing: "loo", seed: 1) == .leaveOneOut)
    #expect(try SplitStrategy(parsing: "Leave-One-Out", seed: 1) == .leaveOneOut)
    #expect(
      try SplitStrategy(parsing: "ratio:0.2", seed: 7)
        == .randomRatio(test: 0.2, validation: 0, seed: 7))
    #expect(
      try SplitStrategy(parsing: "ratio:0.2:0.1", seed: 7)
        == .randomRatio(test: 0.2, validation: 0.1, seed: 7))
    #expect(
      try SplitStrategy(parsing: "sequence", seed: 3) == .bySequence(testFraction: 0.2, seed: 3))
    #expect(
      try SplitStrategy(parsing: "sequence:0.3", seed: 3) == .bySequence(testFraction: 0.3, seed: 3)
    )
    #expect(
      try SplitStrategy(parsing: "sequence:0.2:0.1", seed: 3)
        == .bySequence(testFraction: 0.2, validationFraction: 0.1, seed: 3)
    )
  }

  @Test func rejectsUnknownFormsAndBadFractions() {
    let forms = "expected given, loo, ratio:TEST[:VALIDATION] or sequence[:FRACTION[:VALIDATION]]"
    #expect(throws: DataError(setting: .split, text: "\(forms), found \"random\"")) {
      try SplitStrategy(parsing: "random", seed: 1)
    }
    #expect(throws: DataError(setting: .split, text: "\(forms), found \"ratio\"")) {
      try SplitStrategy(parsing: "ratio", seed: 1)
    }
    #expect(throws: DataError(setting: .split, text: "\(forms), found \"given:1\"")) {
      try SplitStrategy(parsing: "given:1", seed: 1)
    }
    #expect(throws: DataError(setting: .split, text: "expected a fraction, found \"x\"")) {
      try SplitStrategy(parsing: "ratio:x", seed: 1)
    }
    #expect(
      throws: DataError(setting: .split, text: "test fraction must be in (0, 1), found 1.5")
    ) {
      try SplitStrategy(parsing: "ratio:1.5", seed: 1)
    }
    #expect(
      throws: DataError(
        setting: .split, text: "test and validation fractions must sum below 1, found 0.5 + 0.5")
    ) {
      try SplitStrategy(parsing: "ratio:0.5:0.5", seed: 1)
    }
    #expect(
      throws: DataError(setting: .split, text: "held-out fraction must be in (0, 1), found 0.0")
    ) {
      try SplitStrategy(parsing: "sequence:0", seed: 1)
    }
  }

  @Test func descriptionParsesBack() throws {
    for text in ["given", "loo", "ratio:0.2", "ratio:0.2:0.1", "sequence:0.2"] {
      #expect(try SplitStrategy(parsing: text, seed: 5).description == text)
    }
  }

  @Test func duplicatePolicyDefaultsFollowTheData() {
    #expect(LoadOptions().duplicatePolicy(for: .userItemLists) == .drop)
    #expect(LoadOptions(split: .leaveOneOut).duplicatePolicy(for: .delimited) == .keep)
    #expect(
      LoadOptions(split: .bySequence(testFraction: 0.2, seed: 1)).duplicatePolicy(
        for: .userItemLists) == .keep)
    #expect(
      LoadOptions(split: .randomRatio(test: 0.2, validation: 0, seed: 1)).duplicatePolicy(
        for: .sessions) == .keep)
    #expect(
      LoadOptions(split: .randomRatio(test: 0.2, validation: 0, seed: 1)).duplicatePolicy(
        for: .delimited) == .drop)
    #expect(
      LoadOptions(split: .leaveOneOut, duplicates: .drop).duplicatePolicy(for: .sessions) == .drop)
  }

  @Test func leaveOneOutKeepsTheLastTwoItemsOut() {
    let lists = Splits.leaveOneOut([[1, 2, 3, 4], [5], [6, 7], []])
    #expect(lists.train == [[1, 2], [5], [6], []])
    #expect(lists.validation == [[3], [], [], []])
    #expect(lists.test == [[4], [], [7], []])
    #expect(lists.heldOutUsers == [false, false, false, false])
  }

  @Test func randomRatioMovesRoundedFractionsAndKeepsOrder() {
    var sequences: [[Int32]] = (0..<10).map { u in (0..<10).map { Int32(u * 10 + $0) } }
    sequences += [[100], [101, 102]]
    let lists = Splits.randomRatio(sequences, test: 0.2, validation: 0.1, seed: 42)
    for user in 0..<10 {
      #expect(lists.test[user].count == 2)
      #expect(lists.validation[user].count == 1)
      #expect(lists.train[user].count == 7)
      let all = lists.train[user] + lists.validation[user] + lists.test[user]
      #expect(all.sorted() == sequences[user])
      for part in [lists.train[user], lists.validation[user], lists.test[user]] {
        #expect(part == part.sorted(), "each part keeps the sequence's order")
      }
    }
    // One item: rounds to no test. Two items: round(0.4) = 0 test, round(0.2) = 0 validation.
    #expect(lists.train[10] == [100] && lists.test[10].isEmpty)
    #expect(lists.train[11] == [101, 102])
    let half = Splits.randomRatio([[1], [2, 3]], test: 0.5, validation: 0, seed: 1)
    #expect(half.train[0] == [1] && half.test[0].isEmpty, "at least one item stays in train")
    #expect(half.train[1].count == 1 && half.test[1].count == 1)
  }

  @Test func randomRatioIsDeterministicGivenTheSeed() {
    let sequences: [[Int32]] = (0..<20).map { u in (0..<8).map { Int32(u * 8 + $0) } }
    let a = Splits.randomRatio(sequences, test: 0.25, validation: 0.125, seed: 9)
    let b = Splits.randomRatio(sequences, test: 0.25, validation: 0.125, seed: 9)
    let c = Splits.randomRatio(sequences, test: 0.25, validation: 0.125, seed: 10)
    #expect(a.train == b.train && a.validation == b.validation && a.test == b.test)
    #expect(a.test != c.test)
    // The stream is pinned: a printed seed reproduces the same split in later versions.
    let pinned = Splits.randomRatio(
      [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]], test: 0.2, validation: 0.1, seed: 1)
    #expect(pinned.test == [[5, 7]])
    #expect(pinned.validation == [[6]])
  }

  @Test func bySequenceGivesSomeFittedUsersAValidationItem() {
    var sequences: [[Int32]] = (0..<10).map { u in (0..<3).map { Int32(3 * u + $0) } }
    sequences.append([98, 99])
    let lists = Splits.bySequence(sequences, testFraction: 0.3, validationFraction: 0.5, seed: 5)
    let validated = sequences.indices.filter { !lists.validation[$0].isEmpty }
    // Half of the seven fitted three-item users (rounded); never a test user or a short one.
    #expect(validated.count == 4)
    for user in validated {
      #expect(!lists.heldOutUsers[user] && user != 10)
      #expect(lists.validation[user] == [sequences[user].last!])
      #expect(lists.train[user] == Array(sequences[user].dropLast()))
    }
    // The test users are the ones the split without validation picks.
    #expect(lists.heldOutUsers == Splits.bySequence(sequences, testFraction: 0.3, seed: 5).heldOutUsers)
  }

  @Test func bySequenceHoldsOutWholeUsers() {
    var sequences: [[Int32]] = (0..<10).map { u in (0..<3).map { Int32(3 * u + $0) } }
    sequences.append([99])
    let lists = Splits.bySequence(sequences, testFraction: 0.3, seed: 5)
    #expect(lists.heldOutUsers.filter { $0 }.count == 3)
    #expect(!lists.heldOutUsers[10], "a one-item user has no history to predict from")
    for user in sequences.indices {
      if lists.heldOutUsers[user] {
        #expect(lists.train[user] == Array(sequences[user].dropLast()))
        #expect(lists.test[user] == [sequences[user].last!])
      } else {
        #expect(lists.train[user] == sequences[user])
        #expect(lists.test[user].isEmpty)
      }
      #expect(lists.validation[user].isEmpty)
    }
    let again = Splits.bySequence(sequences, testFraction: 0.3, seed: 5)
    #expect(again.heldOutUsers == lists.heldOutUsers)
    let other = (1...20).map {
      Splits.bySequence(sequences, testFraction: 0.3, seed: UInt64($0)).heldOutUsers
    }
    #expect(other.contains { $0 != lists.heldOutUsers })
  }

  @Test func carvingValidationMovesAFractionOfTrain() {
    let dataset = Dataset(
      name: "t", users: IDMap(ids: ["a", "b", "c", "d"]),
      items: IDMap(ids: (0..<20).map { "i\($0)" }),
      train: [Array(0..<10), [10], [11, 12], [13, 14, 15]], test: [[16], [], [17], [18]],
      heldOutUsers: [false, false, false, true])
    let carved = dataset.carvingValidation(fraction: 0.3, seed: 3)
    #expect(carved.validation.map(\.count) == [3, 0, 1, 0])
    #expect(carved.train.map(\.count) == [7, 1, 1, 3])
    for user in 0..<3 {
      #expect((carved.train[user] + carved.validation[user]).sorted() == dataset.train[user])
      #expect(carved.train[user] == carved.train[user].sorted())
      #expect(carved.validation[user] == carved.validation[user].sorted())
    }
    #expect(carved.train[3] == dataset.train[3], "held-out users keep their history")
    #expect(carved.test == dataset.test)
    let again = dataset.carvingValidation(fraction: 0.3, seed: 3)
    #expect(again.validation == carved.validation)
  }

  @Test("a refit's data: validation items back in train, test and fingerprint untouched")
  func mergingValidationUndoesTheCarve() {
    let dataset = Dataset(
      name: "t", users: IDMap(ids: ["a", "b"]), items: IDMap(ids: (0..<12).map { "i\($0)" }),
      train: [[0, 1, 2], [3]], validation: [[4, 5], []], test: [[6], [7]])
    let merged = dataset.mergingValidation()
    #expect(merged.train == [[0, 1, 2, 4, 5], [3]])
    #expect(merged.validation == [[], []])
    #expect(merged.test == dataset.test)
    #expect(merged.fingerprint() == dataset.fingerprint())
    #expect(merged.historyBeforeTest() == dataset.historyBeforeTest())
  }
}
