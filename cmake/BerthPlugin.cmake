# _berth_module(<target> <reldir> SOURCES ... LIBS ...): a MODULE library in
# <build>/<reldir>, installed to <prefix>/<reldir>, built with hidden
# visibility (only what is marked for export is), finding libberth-sdk two
# directories up.
function(_berth_module target reldir)
  cmake_parse_arguments(M "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${target} MODULE ${M_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/${reldir}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN/../..")
  target_link_libraries(${target} PRIVATE berth::sdk ${M_LIBS})
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  install(TARGETS ${target} LIBRARY DESTINATION "${reldir}")
endfunction()

# berth_add_plugin(<target> SOURCES ... [LIBS ...])
# A plugin is a MODULE library placed where berthd looks by default
# (<prefix>/lib/berth/plugins), built with hidden visibility so only the
# entry point is exported.
function(berth_add_plugin target)
  cmake_parse_arguments(P "" "" "SOURCES;LIBS" ${ARGN})
  _berth_module(${target} "${BERTH_PLUGIN_RELDIR}" SOURCES ${P_SOURCES} LIBS ${P_LIBS})
  # Everything that must be built before berthd can describe all plugins
  # (packaging/ generates the default config with it).
  set_property(GLOBAL APPEND PROPERTY BERTH_PLUGIN_TARGETS ${target})
endfunction()

# berth_add_plugin_engine(<target> PLUGIN <plugin target> SOURCES ... [LIBS ...])
# A plugin's engine (libs/plugin-engine): a MODULE library beside the plugin
# directory (<prefix>/lib/berth/engines), which the plugin loads on first use
# so that the large libraries the engine links are not loaded at daemon start.
# Built whenever the plugin is; hidden visibility, so only the entry point
# marked BERTH_ENGINE_ENTRY is exported. Not a plugin: berthd's plugin
# directory holds none.
set(BERTH_ENGINE_RELDIR "${CMAKE_INSTALL_LIBDIR}/berth/engines")
function(berth_add_plugin_engine target)
  cmake_parse_arguments(E "" "PLUGIN" "SOURCES;LIBS" ${ARGN})
  _berth_module(${target} "${BERTH_ENGINE_RELDIR}" SOURCES ${E_SOURCES} LIBS ${E_LIBS})
  add_dependencies(${E_PLUGIN} ${target})
endfunction()
