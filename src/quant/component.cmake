# ConvertModel ends with the TFLite op versions (tflite/op_version.h).
target_link_libraries(cae_quant PUBLIC cae_tflite)
