/// A two-way map between a user's original string ids and dense indices `0..<count`.
///
/// Dense indices are assigned in first-seen order, so loading the same file twice gives the
/// same indices. Library users never see the indices: everything public takes and returns
/// original ids.
public struct IDMap: Sendable, Equatable {
  /// Original ids, indexed by dense index.
  public private(set) var ids: [String]
  private var indexOf: [String: Int32]

  /// An empty map.
  public init() {
    ids = []
    indexOf = [:]
  }

  /// A map over `ids` in the given order. Precondition: the ids are unique.
  public init(ids: [String]) {
    self.ids = ids
    indexOf = Dictionary(minimumCapacity: ids.count)
    for (i, id) in ids.enumerated() {
      let previous = indexOf.updateValue(Int32(i), forKey: id)
      precondition(previous == nil, "duplicate id \(id) in IDMap")
    }
  }

  /// Number of ids.
  public var count: Int { ids.count }

  /// The dense index of `id`, adding it if it is new. O(1) amortized.
  @discardableResult
  public mutating func intern(_ id: String) -> Int32 {
    if let i = indexOf[id] { return i }
    let i = Int32(ids.count)
    ids.append(id)
    indexOf[id] = i
    return i
  }

  /// The dense index of `id`, or nil when it is unknown. O(1).
  public func index(of id: String) -> Int32? { indexOf[id] }

  /// The original id at dense index `i`.
  public subscript(i: Int32) -> String { ids[Int(i)] }

  public static func == (a: IDMap, b: IDMap) -> Bool { a.ids == b.ids }
}
