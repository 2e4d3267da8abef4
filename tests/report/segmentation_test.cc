#include "report/segmentation.h"

#include <gtest/gtest.h>

#include "graph/error.h"

namespace cae {
namespace {

TensorData Floats(std::vector<int32_t> shape, std::vector<float> v) {
  TensorData t(DType::kFloat32, std::move(shape));
  std::copy(v.begin(), v.end(), t.as<float>());
  return t;
}

ClassMap Map(std::vector<int32_t> shape, std::vector<int32_t> classes) { return {std::move(shape), std::move(classes)}; }

TEST(Segmentation, ScoresArgmaxSigmoidThresholdAndIndices) {
  // 3 positions of 3 class scores; the tie at position 2 goes to the lowest class.
  const ClassMap a = PredictedClasses(Floats({1, 3, 3}, {0.1f, 0.7f, 0.2f, 0.9f, 0.0f, 0.1f, 0.4f, 0.2f, 0.4f}),
                                      OutputForm::kScores, 0.5f, "m");
  EXPECT_EQ(a.shape, (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(a.classes, (std::vector<int32_t>{1, 0, 0}));
  const ClassMap b = PredictedClasses(Floats({1, 2, 2, 1}, {0.5f, 0.51f, 0.0f, 1.0f}), OutputForm::kScores, 0.5f, "m");
  EXPECT_EQ(b.shape, (std::vector<int32_t>{1, 2, 2}));
  EXPECT_EQ(b.classes, (std::vector<int32_t>{0, 1, 0, 1}));
  TensorData idx(DType::kInt64, {1, 2, 2});
  const int64_t iv[4] = {3, 0, 19, 7};
  std::copy(iv, iv + 4, idx.as<int64_t>());
  const ClassMap c = PredictedClasses(idx, OutputForm::kIndices, 0.5f, "m");
  EXPECT_EQ(c.shape, (std::vector<int32_t>{1, 2, 2}));
  EXPECT_EQ(c.classes, (std::vector<int32_t>{3, 0, 19, 7}));
  EXPECT_EQ(ClassCount(c), 20);
}

TEST(Segmentation, IndicesMustBeNonNegativeIntegers) {
  try {
    PredictedClasses(Floats({1, 2, 2}, {0, 1, 2.5f, 0}), OutputForm::kIndices, 0.5f, "targets.npy");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "targets.npy: value 2.5 at [0,1,0] is not a class index (an integer >= 0)");
  }
  EXPECT_THROW(PredictedClasses(Floats({2}, {0, -1}), OutputForm::kIndices, 0.5f, "t"), Error);
}

TEST(Segmentation, IouOverTheWholeSetPixelAccuracyAndForeground) {
  // Truth and prediction over 2 images of 2x2, 3 classes (class 2 occurs only in the truth).
  const ClassMap truth = Map({2, 2, 2}, {0, 0, 1, 1, 0, 2, 1, 1});
  const ClassMap pred = Map({2, 2, 2}, {0, 1, 1, 1, 0, 0, 1, 0});
  const SegmentationMetrics m = CompareSegmentation(pred, truth, 4);
  // class 0: pred {0,4,5,7} truth {0,1,4}: inter 2, union 5. class 1: pred {1,2,3,6} truth
  // {2,3,6,7}: inter 3, union 5. class 2: inter 0, union 1. class 3: absent.
  ASSERT_EQ(m.class_iou.size(), 4u);
  EXPECT_DOUBLE_EQ(*m.class_iou[0], 2.0 / 5);
  EXPECT_DOUBLE_EQ(*m.class_iou[1], 3.0 / 5);
  EXPECT_DOUBLE_EQ(*m.class_iou[2], 0.0);
  EXPECT_FALSE(m.class_iou[3].has_value());
  EXPECT_DOUBLE_EQ(m.mean_iou, (0.4 + 0.6 + 0.0) / 3);
  EXPECT_DOUBLE_EQ(m.pixel_accuracy, 5.0 / 8);
  EXPECT_FALSE(m.foreground_iou.has_value());

  const ClassMap bt = Map({4}, {1, 0, 0, 1}), bp = Map({4}, {1, 1, 0, 1});
  const SegmentationMetrics b = CompareSegmentation(bp, bt, 2);
  EXPECT_DOUBLE_EQ(*b.foreground_iou, 2.0 / 3);
  EXPECT_DOUBLE_EQ(b.mean_iou, (1.0 / 2 + 2.0 / 3) / 2);
  EXPECT_DOUBLE_EQ(*CompareSegmentation(Map({2}, {0, 0}), Map({2}, {0, 0}), 2).foreground_iou, 1.0);
  EXPECT_DOUBLE_EQ(ClassAgreement(bp, bt), 0.75);
}

TEST(Segmentation, MismatchedShapesAndOutOfRangeClassesAreErrors) {
  try {
    CompareSegmentation(Map({1, 2}, {0, 1}), Map({2, 1}, {0, 1}), 2);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "prediction [1,2] vs truth [2,1]: the class maps' shapes differ");
  }
  try {
    CompareSegmentation(Map({1, 2}, {0, 1}), Map({1, 2}, {0, 5}), 3);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "truth: class 5 at [0,1] is outside [0, 3)");
  }
}

}  // namespace
}  // namespace cae
