# src/data decodes JPEG/BMP with stb_image from Debian's libstb-dev (a compiled libstb).
pkg_check_modules(STB REQUIRED IMPORTED_TARGET stb)
target_link_libraries(cae_data PUBLIC PkgConfig::STB)
