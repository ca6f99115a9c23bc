/// Finds (user, item) pairs that repeat, and drops or counts them by a `DuplicatePolicy`.
///
/// A user's lists are passed in order (train, then validation, then test); an item is a
/// repeat when it already appeared in any earlier list of the same user. Keeps one stamp per
/// item, so a pass over all users costs O(items + interactions), with no per-user set.
struct DuplicateFilter {
  private let policy: DuplicatePolicy
  /// `seenBy[item] == user` when `item` was already passed for `user`.
  private var seenBy: [Int32]

  /// A filter for item indices below `itemCount`.
  init(itemCount: Int, policy: DuplicatePolicy) {
    self.policy = policy
    seenBy = Array(repeating: -1, count: itemCount)
  }

  /// `list` without items already seen for `user` (under `.drop`), counting the repeats in
  /// `summary`. Precondition: each user's lists are passed together, one user after another.
  mutating func filter(_ list: [Int32], user: Int32, summary: inout LoadSummary) -> [Int32] {
    var kept: [Int32] = []
    kept.reserveCapacity(list.count)
    for item in list {
      if seenBy[Int(item)] == user {
        if policy == .drop {
          summary.duplicatesDropped += 1
          continue
        }
        summary.duplicatesKept += 1
      }
      seenBy[Int(item)] = user
      kept.append(item)
    }
    return kept
  }
}
