/// Interactions mapped to dense indices and split for training and evaluation.
///
/// Each user has three ordered item lists: `train` (what models fit), `validation` (for model
/// selection and early stopping, never the test set) and `test`. Lists keep time order when
/// the source had timestamps and file order otherwise. Produced by `DataLoader`.
public struct Dataset: Sendable {
  /// A short name for printing (the file or directory name).
  public var name: String
  /// Original user ids.
  public var users: IDMap
  /// Original item ids.
  public var items: IDMap
  /// Per user, the items models are fitted on.
  public var train: [[Int32]]
  /// Per user, held-out items for model selection.
  public var validation: [[Int32]]
  /// Per user, held-out items for the final figures.
  public var test: [[Int32]]
  /// Per user: true when `train` is evaluation history only and must not be fitted (the test
  /// sequences of a by-sequence split).
  public var heldOutUsers: [Bool]
  /// What loading did: counts of lines, interactions, duplicates and skipped lines.
  public var summary: LoadSummary
  /// Where the data was read from and how it was split (set by `DataLoader.load`; nil for
  /// data built in code).
  public var source: DataSource?

  /// Creates a dataset. Precondition: the per-user arrays all have `users.count` entries and
  /// every item index is below `items.count`.
  public init(
    name: String, users: IDMap, items: IDMap, train: [[Int32]], validation: [[Int32]]? = nil,
    test: [[Int32]], heldOutUsers: [Bool]? = nil, summary: LoadSummary = LoadSummary()
  ) {
    precondition(train.count == users.count && test.count == users.count)
    self.name = name
    self.users = users
    self.items = items
    self.train = train
    self.validation = validation ?? Array(repeating: [], count: users.count)
    self.test = test
    self.heldOutUsers = heldOutUsers ?? Array(repeating: false, count: users.count)
    self.summary = summary
    precondition(self.validation.count == users.count && self.heldOutUsers.count == users.count)
  }

  /// Number of users.
  public var userCount: Int { users.count }
  /// Number of items.
  public var itemCount: Int { items.count }
  /// Number of training interactions of users that are fitted.
  public var trainInteractionCount: Int {
    var n = 0
    for u in 0..<userCount where !heldOutUsers[u] { n += train[u].count }
    return n
  }

  /// Training interactions per item over fitted users (repeats included): item popularity,
  /// and the frequency order of CpRec's blocks.
  public func trainingCounts() -> [Int] {
    var counts = [Int](repeating: 0, count: itemCount)
    for u in 0..<userCount where !heldOutUsers[u] {
      for i in train[u] { counts[Int(i)] += 1 }
    }
    return counts
  }

  /// The training interactions of fitted users as a CSR matrix (users x items, deduplicated).
  public func trainMatrix() -> InteractionMatrix {
    InteractionMatrix(
      rows: (0..<userCount).map { heldOutUsers[$0] ? [] : train[$0] }, columnCount: itemCount)
  }

  /// Everything known about each user before its test items: train then validation items.
  /// Evaluation excludes these from the ranking and sequential models read them as history.
  public func historyBeforeTest() -> [[Int32]] {
    (0..<userCount).map { validation[$0].isEmpty ? train[$0] : train[$0] + validation[$0] }
  }

  /// A stable 64-bit fingerprint (hex) of the ids and each user's known items (train and
  /// validation, as a set), stored in model files so evaluation can tell when a model meets
  /// other data. Carving a validation split out of training keeps the fingerprint.
  public func fingerprint() -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    @inline(__always) func mix(_ byte: UInt8) {
      h ^= UInt64(byte)
      h = h &* 0x0000_0100_0000_01B3
    }
    for id in users.ids {
      for b in id.utf8 { mix(b) }
      mix(0)
    }
    mix(1)
    for id in items.ids {
      for b in id.utf8 { mix(b) }
      mix(0)
    }
    for u in 0..<userCount {
      for i in Set(train[u] + validation[u]).sorted() {
        withUnsafeBytes(of: i.littleEndian) { for b in $0 { mix(b) } }
      }
      mix(2)
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}
