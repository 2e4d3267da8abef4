// Metrics between tensors of equal shape (float32; both are compared element by element).
//
// SSIM, exactly: Wang et al. 2004 with an 11x11 Gaussian window (sigma 1.5, normalized to sum 1),
// K1 = 0.01, K2 = 0.03, data range L = 1 (C1 = (K1 L)^2, C2 = (K2 L)^2); local means, variances and
// covariance are Gaussian-weighted over "valid" windows only (no padding: an HxW image gives an
// (H-10)x(W-10) map), as tf.image.ssim does. The map is averaged per image per channel, and those
// means are averaged over all images and channels. Inputs must be NHWC with H, W >= 11.
#pragma once

#include <cstdint>
#include <optional>

#include "graph/tensor_data.h"

namespace cae {

double MeanAbsError(const TensorData& a, const TensorData& b);
double MeanSquaredError(const TensorData& a, const TensorData& b);
double MaxAbsDiff(const TensorData& a, const TensorData& b);
// 10 log10(1 / mse) for data range 1; +infinity when mse == 0.
double PsnrFromMse(double mse);
// Mean SSIM as documented above; nullopt when a, b are not rank-4 images of at least 11x11.
std::optional<double> MeanSsim(const TensorData& a, const TensorData& b);

struct ReconstructionMetrics {
  double mae = 0, mse = 0, psnr = 0;
  std::optional<double> ssim;
};
// MAE, MSE and SSIM over the whole set; PSNR from that overall MSE.
ReconstructionMetrics CompareReconstruction(const TensorData& reconstruction, const TensorData& original);

}  // namespace cae
