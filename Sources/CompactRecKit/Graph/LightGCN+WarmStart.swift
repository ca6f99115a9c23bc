extension LightGCN {
  /// The layer-0 embeddings saved in the LightGCN checkpoint at `path`, to warm-start a run on
  /// `dataset` (`Configuration.warmStart`): its best snapshot when it has one, else its
  /// current embeddings, `dim` wide or narrower (training maps them to `dim`, see
  /// `WarmStartRotation`). Throws `RecipeError.warmStart` for a checkpoint of another model,
  /// of other data (or another validation split) or of a larger width, and the reader's
  /// errors for a file that is not a readable model file.
  public static func warmStartEmbeddings(fromCheckpoint path: String, dataset: Dataset, dim: Int) throws -> Matrix {
    let file = try ModelFile.read(from: path)
    guard file.kind == "checkpoint", file.hyperParameters["model"] == "lightgcn" else {
      throw RecipeError.warmStart(path: path, reason: "is not a LightGCN checkpoint")
    }
    guard file.dataFingerprint == dataset.fingerprint() else {
      throw RecipeError.warmStart(path: path, reason: "was trained on other data (or another validation split)")
    }
    let rows = dataset.userCount + dataset.itemCount
    let name = file.tensors.contains { $0.name == "best/embedding" } ? "best/embedding" : "embedding/value"
    let saved = file.tensors.first { $0.name == name }?.shape
    let width = saved?.count == 2 && saved![1] < dim ? saved![1] : dim
    do {
      return try file.matrix(name, rows: rows, cols: width)
    } catch {
      throw RecipeError.warmStart(
        path: path, reason: "does not hold \(rows) x \(dim) (or narrower) embeddings (\(error))")
    }
  }
}
