/// Negative items for sampled evaluation, where each held-out item is ranked against a few
/// items the user never interacted with instead of against all items.
///
/// Sampled figures are only ever reported beside full-ranking ones; these negatives make
/// them reproducible, either from a published file or from a seed.
public enum NegativeSamples {
  /// Reads fixed negatives from lines `user neg1 neg2 ...` in original ids, separated by
  /// spaces or tabs (the S3-Rec `negatives-99.txt` layout). Returns, per user index of
  /// `dataset`, that user's negatives as item indices; users absent from the file get `[]`.
  /// Throws a `DataError` naming the file, line and field for a user or item `dataset`
  /// does not know, a user listed twice, a negative that is one of the user's held-out
  /// (validation or test) items, which would rank the target against itself, or invalid
  /// UTF-8. O(file size).
  public static func load(path: String, dataset: Dataset) throws -> [[Int32]] {
    let file = try TextFile(path: path)
    var negatives = [[Int32]](repeating: [], count: dataset.userCount)
    var lineOfUser = [Int](repeating: 0, count: dataset.userCount)
    var fields: [FieldRange] = []
    try file.forEachLine { line in
      if let error = file.utf8Error(in: line, separator: .whitespace) { throw error }
      _ = FieldSeparator.whitespace.split(line.bytes, into: &fields)
      let userID = fields[0].string(in: line.bytes)
      guard let user = dataset.users.index(of: userID).map({ Int($0) }) else {
        throw DataError(
          file: path, line: line.number, column: 1,
          message: "user \"\(userID)\" is not in the data set")
      }
      guard lineOfUser[user] == 0 else {
        throw DataError(
          file: path, line: line.number, column: 1,
          message: "user \"\(userID)\" already has negatives on line \(lineOfUser[user])")
      }
      lineOfUser[user] = line.number
      var list: [Int32] = []
      list.reserveCapacity(fields.count - 1)
      for (index, field) in fields.enumerated().dropFirst() {
        let itemID = field.string(in: line.bytes)
        guard let item = dataset.items.index(of: itemID) else {
          throw DataError(
            file: path, line: line.number, column: index + 1,
            message: "item \"\(itemID)\" is not in the data set")
        }
        if dataset.test[user].contains(item) || dataset.validation[user].contains(item) {
          throw DataError(
            file: path, line: line.number, column: index + 1,
            message: "item \"\(itemID)\" is a held-out item of user \"\(userID)\", so it cannot be a negative")
        }
        list.append(item)
      }
      negatives[user] = list
    }
    return negatives
  }

  /// Per user index, `count` distinct items drawn uniformly from the items the user never
  /// interacted with (in train, validation or test), or all of them when fewer remain. The
  /// same seed and data give the same negatives. Precondition: `count >= 0`.
  /// Expected O(users * count + interactions) when most items are unseen by each user.
  public static func uniform(count: Int, dataset: Dataset, seed: UInt64) -> [[Int32]] {
    precondition(count >= 0, "count must not be negative")
    let itemCount = dataset.itemCount
    var generator = SeededGenerator(seed: seed)
    // stamp[item] == user: the item is seen by, or already drawn for, that user.
    var stamp = [Int32](repeating: -1, count: itemCount)
    var negatives: [[Int32]] = []
    negatives.reserveCapacity(dataset.userCount)
    for u in 0..<dataset.userCount {
      let user = Int32(u)
      var seen = 0
      for list in [dataset.train[u], dataset.validation[u], dataset.test[u]] {
        for item in list where stamp[Int(item)] != user {
          stamp[Int(item)] = user
          seen += 1
        }
      }
      let available = itemCount - seen
      let drawCount = min(count, available)
      var drawn: [Int32] = []
      drawn.reserveCapacity(drawCount)
      if drawCount * 2 <= available {
        // Rejection sampling: each draw hits an unseen item with probability >= 1/2.
        while drawn.count < drawCount {
          let item = generator.index(below: itemCount)
          guard stamp[item] != user else { continue }
          stamp[item] = user
          drawn.append(Int32(item))
        }
      } else {
        let candidates = (0..<itemCount).filter { stamp[$0] != user }
        drawn = seededSample(drawCount, of: candidates.count, using: &generator)
          .map { Int32(candidates[$0]) }
      }
      negatives.append(drawn)
    }
    return negatives
  }
}
