# berth_add_plugin(<target> SOURCES ... [LIBS ...])
# A plugin is a MODULE library placed where berthd looks by default
# (<prefix>/lib/berth/plugins), built with hidden visibility so only the
# entry point is exported.
function(berth_add_plugin target)
  cmake_parse_arguments(P "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${target} MODULE ${P_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY "${BERTH_PLUGIN_OUTPUT_DIR}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN/../..")
  target_link_libraries(${target} PRIVATE berth::sdk ${P_LIBS})
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  install(TARGETS ${target} LIBRARY DESTINATION "${BERTH_PLUGIN_RELDIR}")
  # Everything that must be built before berthd can describe all plugins
  # (packaging/ generates the default config with it).
  set_property(GLOBAL APPEND PROPERTY BERTH_PLUGIN_TARGETS ${target})
endfunction()
