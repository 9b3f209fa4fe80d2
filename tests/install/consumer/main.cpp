// Reads a predictions table and prints its ROC AUC through the installed library.
#include <cstdio>

#include "mlgate/data/table.hpp"
#include "mlgate/measures/metrics.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  mlgate::Table t = mlgate::read_table(argv[1], {{"label", mlgate::ColumnType::kNumber, true},
                                                 {"score", mlgate::ColumnType::kNumber, true}});
  std::vector<std::uint8_t> y;
  for (double v : t.column("label").numbers) y.push_back(v != 0);
  mlgate::BinaryData d{t.column("score").numbers, y, {}, 0.5};
  auto m = mlgate::binary_metrics(d, {}, false);
  std::printf("%.6f\n", *m[0].metrics.get("roc_auc"));
  return 0;
}
