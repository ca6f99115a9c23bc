import CompactRecKit
import Foundation

// Usage: TrainEveryModel DATA [SPLIT] [OUT_DIR] [KIND,KIND,...]
// Trains every model kind (or those listed) on DATA with the library's defaults, which are the
// command line's: `compactrec train --model KIND --data DATA --split SPLIT` (SPLIT default
// loo) trains the same model. Validation chooses each stopping point; prints test Recall@20
// and NDCG@20 and saves each model to OUT_DIR (default: the current directory).
let arguments = Array(CommandLine.arguments.dropFirst())
guard let path = arguments.first else {
  print("usage: TrainEveryModel DATA [SPLIT] [OUT_DIR] [KIND,KIND,...]")
  exit(64)
}
let models: [(String, ModelRecipe.Model)] = [
  ("mostpop", .mostPopular),
  ("mf-bpr", .matrixFactorization(MatrixFactorization.Configuration())),
  ("lightgcn", .lightGCN(LightGCN.Configuration())),
  ("nextitnet", .sequential(SequentialConfiguration(architecture: .nextitnet))),
  ("gru4rec", .sequential(SequentialConfiguration(architecture: .gru4rec))),
  ("sasrec", .sequential(SequentialConfiguration(architecture: .sasrec))),
]
let directory = arguments.count > 2 ? arguments[2] : "."
let kinds = arguments.count > 3 ? arguments[3].split(separator: ",").map(String.init) : models.map(\.0)
do {
  let split = try SplitStrategy(parsing: arguments.count > 1 ? arguments[1] : "loo", seed: SplitStrategy.defaultSeed)
  let data = try DataLoader.load(path: path, options: LoadOptions(split: split))
  for (name, model) in models where kinds.contains(name) {
    let outcome = try ModelRecipe(model).train(on: data)
    let test = FullRankingEvaluator(cutoffs: [20]).evaluate(outcome.model, on: outcome.trainedOn, target: .test)
    print(name, test.metrics["recall@20"]!, test.metrics["ndcg@20"]!, outcome.json)
    try TrainedModel(model: outcome.model, dataset: outcome.trainedOn).save(to: "\(directory)/\(name).crm")
  }
} catch {
  print("error: \(error)")
  exit(1)
}
