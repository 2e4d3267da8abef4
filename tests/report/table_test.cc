#include "report/table.h"

#include <gtest/gtest.h>

#include "data/image.h"
#include "report/image_grid.h"
#include "support/fixtures.h"

namespace cae {
namespace {

TEST(Table, AlignsNumbersRightAndTextLeft) {
  Table t({"model", "MAE", "time"});
  t.AddRow({"a.h5", "0.0521", "1.2 s"});
  t.AddRow({"longer_name.tflite", "0.10", "15 ms"});
  EXPECT_EQ(t.Render(),
            "model                  MAE   time\n"
            "---------------------------------\n"
            "a.h5                0.0521  1.2 s\n"
            "longer_name.tflite    0.10  15 ms\n");
}

TEST(Table, HumanUnits) {
  EXPECT_EQ(FormatSeconds(0.0123), "12.3 ms");
  EXPECT_EQ(FormatSeconds(0.00005), "50 us");
  EXPECT_EQ(FormatSeconds(2.5), "2.5 s");
  EXPECT_EQ(FormatSeconds(125), "2 min 5 s");
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(51140), "49.9 KiB");
  EXPECT_EQ(FormatBytes(3 * 1048576.0), "3.00 MiB");
  EXPECT_EQ(FormatCount(12785), "12,785");
  EXPECT_EQ(FormatFixed(1.0 / 0.0, 2), "inf");
}

TEST(ImageGrid, PlacesOriginalsAboveReconstructions) {
  TensorData a(DType::kFloat32, {3, 2, 2, 1}), b(DType::kFloat32, {3, 2, 2, 1});
  for (int i = 0; i < 12; ++i) {
    a.as<float>()[i] = 1.0f;
    b.as<float>()[i] = 0.0f;
  }
  const Image g = MakeComparisonGrid({&a, &b}, 3, 2);
  // 2 columns: width 2*2 + 3*2 = 10; 2 groups of (2 rows*2 + 2 gap) + 6 + 4 = 22.
  EXPECT_EQ(g.width, 10);
  EXPECT_EQ(g.height, 22);
  EXPECT_EQ(g.pixels[2 * 10 + 2], 255);        // first original tile
  EXPECT_EQ(g.pixels[(2 + 4) * 10 + 2], 0);    // its reconstruction below
  EXPECT_EQ(g.pixels[0], 128);                 // background
  testing::TempDir dir;
  WriteComparisonGrid(dir.File("g.png"), {&a, &b}, 3, 2);
  EXPECT_EQ(DecodeImageFile(dir.File("g.png")).pixels, g.pixels);
}

}  // namespace
}  // namespace cae

namespace cae {
namespace {

TEST(Table, PathsStayLeftAligned) {
  Table t({"model", "v"});
  t.AddRow({"../a.h5", "-0.5"});
  t.AddRow({"./longer.h5", ".25"});
  EXPECT_EQ(t.Render(),
            "model           v\n"
            "-----------------\n"
            "../a.h5      -0.5\n"
            "./longer.h5   .25\n");
}

TEST(Table, MarkdownAlignsNumbersRightAndEscapesBars) {
  Table t({"model", "size", "mean|d|"});
  t.AddRow({"a|b.tflite", "12.5 KiB", "0.25"});
  t.AddRow({"c.h5", "-", "1.5"});
  EXPECT_EQ(t.RenderMarkdown(),
            "| model | size | mean\\|d\\| |\n"
            "|---|---:|---:|\n"
            "| a\\|b.tflite | 12.5 KiB | 0.25 |\n"
            "| c.h5 | - | 1.5 |\n");
  EXPECT_EQ(Table({"x"}).RenderMarkdown(), "| x |\n|---|\n");
}

}  // namespace
}  // namespace cae
