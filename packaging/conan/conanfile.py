# Conan 2 recipe for cxm (header-only). `conan create packaging/conan` from the repository root.
# The ctest test package.conan_test_package builds test_package/ against cxm's install tree, as the
# recipe's package() lays it out (Conan's registries are out of reach on the build machines).
import os

from conan import ConanFile
from conan.tools.layout import basic_layout
from conan.tools.files import copy


class CxmConan(ConanFile):
    name = "cxm"
    version = "0.1.0"
    license = "MIT"
    url = "https://github.com/cxm-project/cxm"
    description = "Incremental, mergeable customer engagement and satisfaction metrics (header-only C++20)"
    topics = ("customer-analytics", "nps", "csat", "churn", "clv", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"value": [True, False]}
    default_options = {"value": False}
    no_copy_source = True

    def export_sources(self):
        # The recipe lives in packaging/conan: the headers and the licence are two levels up.
        root = os.path.join(self.recipe_folder, "..", "..")
        copy(self, "include/*", root, self.export_sources_folder)
        copy(self, "LICENSE", root, self.export_sources_folder)

    def requirements(self):
        self.requires("boost/[>=1.74.0]", transitive_headers=True)
        self.requires("range-v3/0.12.0", transitive_headers=True)
        if self.options.value:
            self.requires("eigen/3.4.0", transitive_headers=True)
            self.requires("lbfgspp/0.2.0", transitive_headers=True)

    def layout(self):
        basic_layout(self, src_folder=".")

    def package_id(self):
        self.info.clear()

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", os.path.join(self.source_folder, "include"), os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "cxm")
        self.cpp_info.set_property("cmake_target_name", "cxm::cxm")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.components["core"].set_property("cmake_target_name", "cxm::cxm")
        self.cpp_info.components["core"].requires = ["boost::headers", "range-v3::range-v3"]
        if self.options.value:
            self.cpp_info.components["value"].set_property("cmake_target_name", "cxm::value")
            self.cpp_info.components["value"].requires = ["core", "eigen::eigen", "lbfgspp::lbfgspp"]
