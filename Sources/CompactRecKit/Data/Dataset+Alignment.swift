extension Dataset {
  /// This data expressed in another id space (a model's), matching ids by name: users and
  /// items the other space does not know are left out. Returns the aligned data set and how
  /// many interactions were left out. When the id maps are already equal nothing changes.
  public func aligned(users target: IDMap, items targetItems: IDMap) -> (Dataset, dropped: Int) {
    if users == target && items == targetItems { return (self, 0) }
    let itemMap = items.ids.map { targetItems.index(of: $0) }
    var dropped = 0
    func map(_ list: [Int32]) -> [Int32] {
      var out: [Int32] = []
      out.reserveCapacity(list.count)
      for i in list {
        if let j = itemMap[Int(i)] { out.append(j) } else { dropped += 1 }
      }
      return out
    }
    var train = [[Int32]](repeating: [], count: target.count)
    var validation = train
    var test = train
    var heldOut = [Bool](repeating: false, count: target.count)
    for u in 0..<userCount {
      guard let v = target.index(of: users.ids[u]).map(Int.init) else {
        dropped += self.train[u].count + self.validation[u].count + self.test[u].count
        continue
      }
      train[v] = map(self.train[u])
      validation[v] = map(self.validation[u])
      test[v] = map(self.test[u])
      heldOut[v] = heldOutUsers[u]
    }
    let aligned = Dataset(
      name: name, users: target, items: targetItems, train: train, validation: validation, test: test,
      heldOutUsers: heldOut, summary: summary)
    return (aligned, dropped)
  }
}
