extension MatrixFactorization: PersistableModel {
  public static let kind = "mf-bpr"
  public var hyperParameters: [String: JSONValue] { ["dim": .number(Double(dim))] }

  public func tensors() -> [Tensor] {
    [
      Tensor(name: "user_embedding", matrix: userEmbedding.value),
      Tensor(name: "item_embedding", matrix: itemEmbedding.value),
    ]
  }

  public convenience init(file: ModelFile) throws {
    try file.requireKind(Self.kind)
    let d = file.hyperParameters["dim"]?.intValue ?? 0
    guard SettingLimits.dim.contains(d) else {
      throw ModelFileError(path: file.path, reason: .invalidHeader("\(Self.kind) model with dim \(d)"))
    }
    let users = file.userIDs.count
    let items = file.itemIDs.count
    self.init(
      userEmbedding: try file.matrix("user_embedding", rows: users, cols: d),
      itemEmbedding: try file.matrix("item_embedding", rows: items, cols: d))
  }
}
