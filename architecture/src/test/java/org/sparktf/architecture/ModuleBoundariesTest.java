package org.sparktf.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module boundaries, checked on the compiled classes of every module: each main package says in
 * its {@code package-info.java} whether it is API, shared with no compatibility promise (naming the
 * modules that use it), or private to its module; no module depends on another module's private
 * package; a shared package is used only by the modules it names; the examples use API packages
 * only.
 */
class ModuleBoundariesTest {
  private static final List<String> MODULES =
      List.of("datasources", "core", "estimators", "examples", "bench");
  private static final Pattern JAR = Pattern.compile("sparktf-(\\w+)_2\\.12-[^/]*\\.jar");
  private static final Pattern CLASSES_DIR = Pattern.compile("/([\\w-]+)/target/classes/");

  enum Kind {
    API,
    SHARED,
    PRIVATE
  }

  /** One main package: where it lives, what kind it declares, which modules it names as users. */
  record PackageDoc(String module, String name, Kind kind, String text) {}

  private static Map<String, PackageDoc> packages;
  private static JavaClasses classes;

  @BeforeAll
  static void readPackagesAndClasses() {
    packages = readPackageDocs(repositoryRoot());
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.sparktf");
  }

  @Test
  void everyMainPackageDeclaresItsKindOnce() {
    List<String> problems = new ArrayList<>();
    for (String module : MODULES) {
      for (String pkg : mainPackages(repositoryRoot().resolve(module))) {
        if (!packages.containsKey(pkg)) {
          problems.add(
              module + ": package " + pkg + " has no package-info.java declaring its kind");
        }
      }
    }
    assertThat(problems).isEmpty();
    assertThat(packages).isNotEmpty();
  }

  @Test
  void theClassesOfEveryModuleWereFound() {
    TreeSet<String> found = new TreeSet<>();
    for (JavaClass c : classes) {
      found.add(moduleOf(c));
    }
    assertThat(found).containsAll(MODULES);
  }

  @Test
  void noModuleUsesAnotherModulesPrivatePackage() {
    assertThat(violations(Kind.PRIVATE)).isEmpty();
  }

  @Test
  void sharedPackagesAreUsedOnlyByTheModulesTheyName() {
    assertThat(violations(Kind.SHARED)).isEmpty();
  }

  @Test
  void examplesUseOnlyApiPackages() {
    List<String> problems = new ArrayList<>();
    for (JavaClass c : classes) {
      if (!moduleOf(c).equals("examples")) {
        continue;
      }
      for (Dependency d : c.getDirectDependenciesFromSelf()) {
        PackageDoc target = packages.get(d.getTargetClass().getPackageName());
        if (target != null && !target.module().equals("examples") && target.kind() != Kind.API) {
          problems.add(d.getDescription());
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  /**
   * Dependencies from a class of one module to a package of {@code kind} in another module that its
   * package-info does not allow (private: never; shared: only the modules it names).
   */
  private static List<String> violations(Kind kind) {
    List<String> problems = new ArrayList<>();
    for (JavaClass c : classes) {
      String from = moduleOf(c);
      for (Dependency d : c.getDirectDependenciesFromSelf()) {
        PackageDoc target = packages.get(d.getTargetClass().getPackageName());
        if (target == null || target.kind() != kind || target.module().equals(from)) {
          continue;
        }
        if (kind == Kind.PRIVATE || !target.text().contains(from)) {
          problems.add(
              from + " -> " + target.module() + " " + target.kind() + ": " + d.getDescription());
        }
      }
    }
    return problems;
  }

  private static String moduleOf(JavaClass c) {
    String location =
        c.getSource()
            .map(s -> s.getUri())
            .map(URI::toString)
            .orElseThrow(() -> new IllegalStateException("No class file for " + c.getName()));
    Matcher jar = JAR.matcher(location);
    if (jar.find()) {
      return jar.group(1);
    }
    Matcher dir = CLASSES_DIR.matcher(location);
    if (dir.find()) {
      return dir.group(1);
    }
    throw new IllegalStateException("Cannot tell the module of " + c.getName() + " at " + location);
  }

  private static Map<String, PackageDoc> readPackageDocs(Path root) {
    Map<String, PackageDoc> docs = new TreeMap<>();
    for (String module : MODULES) {
      Path sources = root.resolve(module).resolve("src/main/java");
      try (Stream<Path> files = Files.walk(sources)) {
        for (Path info : files.filter(p -> p.endsWith("package-info.java")).toList()) {
          String text = Files.readString(info);
          String name = sources.relativize(info.getParent()).toString().replace('/', '.');
          docs.put(name, new PackageDoc(module, name, kindOf(info, text), text));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the package-info files under " + sources, e);
      }
    }
    return docs;
  }

  /** Exactly one of the three markers; anything else is a documentation defect. */
  private static Kind kindOf(Path info, String text) {
    List<Kind> kinds = new ArrayList<>();
    if (text.contains("<b>API")) {
      kinds.add(Kind.API);
    }
    if (text.contains("<b>Shared, no compatibility promise</b>")) {
      kinds.add(Kind.SHARED);
    }
    if (text.contains("<b>Private</b>")) {
      kinds.add(Kind.PRIVATE);
    }
    if (kinds.size() != 1) {
      throw new IllegalStateException(
          "Invalid package-info "
              + info
              + ": it must say exactly one of <b>API…, <b>Shared, no compatibility promise</b> or"
              + " <b>Private</b>; found "
              + kinds);
    }
    return kinds.get(0);
  }

  private static List<String> mainPackages(Path module) {
    Path sources = module.resolve("src/main/java");
    try (Stream<Path> files = Files.walk(sources)) {
      return files
          .filter(p -> p.toString().endsWith(".java"))
          .map(p -> sources.relativize(p.getParent()).toString().replace('/', '.'))
          .distinct()
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list the packages under " + sources, e);
    }
  }

  /** Surefire runs in this module's directory; the modules are its siblings. */
  private static Path repositoryRoot() {
    Path root = Path.of("").toAbsolutePath().getParent();
    if (!Files.isDirectory(root.resolve("core/src/main/java"))) {
      throw new IllegalStateException("Cannot find the repository root from " + root);
    }
    return root;
  }
}
