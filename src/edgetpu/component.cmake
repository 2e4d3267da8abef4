# cae_edgetpu: generate the C++ reader of our Edge TPU package schema, and link JSON support.
set(cae_edgetpu_fbs ${CMAKE_SOURCE_DIR}/src/edgetpu/edgetpu_package.fbs)
set(cae_edgetpu_gen ${CMAKE_BINARY_DIR}/generated/edgetpu/edgetpu_package_generated.h)
add_custom_command(
  OUTPUT ${cae_edgetpu_gen}
  COMMAND ${FLATC} --cpp -o ${CMAKE_BINARY_DIR}/generated/edgetpu ${cae_edgetpu_fbs}
  DEPENDS ${cae_edgetpu_fbs}
  COMMENT "flatc: Edge TPU package schema"
  VERBATIM)
add_custom_target(cae_edgetpu_schema DEPENDS ${cae_edgetpu_gen})
if(TARGET cae_edgetpu)
  get_target_property(cae_edgetpu_kind cae_edgetpu TYPE)
  if(cae_edgetpu_kind STREQUAL "STATIC_LIBRARY")
    add_dependencies(cae_edgetpu cae_edgetpu_schema)
    target_link_libraries(cae_edgetpu PUBLIC nlohmann_json::nlohmann_json)
  endif()
endif()
if(TARGET cae_edgetpu AND cae_edgetpu_kind STREQUAL "STATIC_LIBRARY")
  target_link_libraries(cae_edgetpu PUBLIC cae_runtime)  # pipeline.cc runs segments
endif()
