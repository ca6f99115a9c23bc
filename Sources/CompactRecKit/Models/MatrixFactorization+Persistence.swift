extension MatrixFactorization: PersistableModel {
  public static let kind = "mf-bpr"
  public var hyperParameters: [String: JSONValue] { ["dim": .number(Double(dim))] }

  public func tensors() -> [Tensor] {
    [
      Tensor(name: "user_embedding", shape: [userEmbedding.value.rows, dim], floats: userEmbedding.value.storage),
      Tensor(name: "item_embedding", shape: [itemCount, dim], floats: itemEmbedding.value.storage),
    ]
  }

  public convenience init(file: ModelFile) throws {
    try file.requireKind(Self.kind)
    let d = file.hyperParameters["dim"]?.intValue ?? 0
    let users = file.userIDs.count
    let items = file.itemIDs.count
    self.init(
      userEmbedding: Matrix(rows: users, cols: d, storage: try file.floats("user_embedding", shape: [users, d])),
      itemEmbedding: Matrix(rows: items, cols: d, storage: try file.floats("item_embedding", shape: [items, d])))
  }
}
