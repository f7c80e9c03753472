// compose-check loads a compose project the way `docker compose config`
// does, with the loader Docker Compose v2 itself uses (compose-go), and
// prints the normalized project as JSON on stdout; a file Docker Compose
// would refuse is an error on stderr and exit code 1. Like docker compose,
// it reads the variables of its environment and of the project's .env file
// (or of each --env-file), and -f names the compose files (else
// compose.yaml, docker-compose.yml, … in the working directory).
//
//	go run . -f ../../docker-compose.yml [--env-file FILE]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

// repeated collects each use of a flag that may be given more than once.
type repeated []string

func (r *repeated) String() string     { return fmt.Sprint(*r) }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	var files, envFiles repeated
	flag.Var(&files, "f", "compose file (repeatable)")
	flag.Var(&envFiles, "env-file", "environment file in place of the project's .env (repeatable)")
	flag.Parse()

	out, err := load(files, envFiles)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

// load builds the project with the options that `docker compose config`
// passes to the loader when given no flags but -f and --env-file (Docker
// Compose v2.24.0, cmd/compose/config.go and compose.go), in their order.
func load(files, envFiles []string) ([]byte, error) {
	options, err := cli.NewProjectOptions(files,
		// config's own
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithDiscardEnvFile,
		cli.WithContext(context.Background()),
		// every command's
		cli.WithWorkingDirectory(""),
		cli.WithOsEnv,
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithDefaultProfiles(),
		cli.WithName(""),
	)
	if err != nil {
		return nil, err
	}
	project, err := cli.ProjectFromOptions(options)
	if err != nil {
		return nil, err
	}
	if project.Name == "" {
		return nil, fmt.Errorf("project name can't be empty. Use `--project-name` to set a valid name")
	}
	// `docker compose config` prints this, less what no service uses; it
	// also doubles every $ of the output, which the JSON here leaves alone.
	return project.WithoutUnnecessaryResources().MarshalJSON()
}
