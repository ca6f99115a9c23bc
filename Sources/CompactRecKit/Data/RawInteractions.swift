/// Interactions as a parser reads them, before duplicates are handled and the data is split:
/// the id maps and, per user, the items in file order with optional timestamps.
struct RawInteractions {
  /// Users in first-seen order.
  var users = IDMap()
  /// Items in first-seen order.
  var items = IDMap()
  /// Per user, items in file order.
  var lists: [[Int32]] = []
  /// Per user, the timestamp of each item in `lists`; empty when the source has no times.
  var times: [[Double]] = []

  /// Adds a user with no items yet (or finds it) and returns its index.
  mutating func addUser(_ id: String) -> Int32 {
    let user = users.intern(id)
    if Int(user) == lists.count { lists.append([]) }
    return user
  }

  /// Appends `item` to `user`'s list with its timestamp. Either every call passes a time or
  /// none does.
  mutating func append(user: Int32, item: String, time: Double?) {
    let index = items.intern(item)
    lists[Int(user)].append(index)
    if let time {
      while times.count < lists.count { times.append([]) }
      times[Int(user)].append(time)
    }
  }

  /// The per-user lists in time order: each user's items stably sorted by timestamp, or the
  /// file order when there are no timestamps. O(n log n) per user.
  func timeOrderedLists() -> [[Int32]] {
    guard !times.isEmpty else { return lists }
    var ordered = lists
    for user in times.indices {
      let time = times[user]
      guard zip(time, time.dropFirst()).contains(where: { $0 > $1 }) else { continue }
      let order = time.indices.sorted { time[$0] < time[$1] || (time[$0] == time[$1] && $0 < $1) }
      ordered[user] = order.map { lists[user][$0] }
    }
    return ordered
  }
}
