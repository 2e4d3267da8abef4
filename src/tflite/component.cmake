# The TFLite schema is compiled by flatc at build time into generated/tflite/.
set(CAE_TFLITE_SCHEMA ${CMAKE_SOURCE_DIR}/src/tflite/tflite_schema.fbs)
set(CAE_TFLITE_SCHEMA_HEADER ${CMAKE_BINARY_DIR}/generated/tflite/tflite_schema_generated.h)
add_custom_command(
  OUTPUT ${CAE_TFLITE_SCHEMA_HEADER}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/generated/tflite
  COMMAND ${FLATC} --cpp --scoped-enums -o ${CMAKE_BINARY_DIR}/generated/tflite ${CAE_TFLITE_SCHEMA}
  DEPENDS ${CAE_TFLITE_SCHEMA}
  COMMENT "flatc: TFLite schema"
  VERBATIM)
add_custom_target(cae_tflite_schema DEPENDS ${CAE_TFLITE_SCHEMA_HEADER})
add_dependencies(cae_tflite cae_tflite_schema)
