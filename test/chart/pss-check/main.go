// Command pss-check evaluates every pod template in a stream of Kubernetes
// manifests against the Pod Security Standards "restricted" profile, using the
// checks of the upstream Pod Security admission controller (so the test applies
// exactly what a cluster with `pod-security.kubernetes.io/enforce: restricted`
// would apply, not a re-implementation).
//
// Usage: pss-check [-version v1.35] < manifests.yaml
// Exit 0 when every pod template passes, 1 on any violation, 2 on bad input.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type podTemplate struct {
	meta *metav1.ObjectMeta
	spec *corev1.PodSpec
}

// decode unmarshals raw into a T and picks its pod template with get.
func decode[T any](raw []byte, get func(*T) (*metav1.ObjectMeta, *corev1.PodSpec)) (podTemplate, bool, error) {
	var o T
	if err := json.Unmarshal(raw, &o); err != nil {
		return podTemplate{}, true, err
	}
	meta, spec := get(&o)
	return podTemplate{meta, spec}, true, nil
}

// podTemplateOf returns the pod metadata and spec carried by a workload kind,
// or ok=false for kinds that hold no pod.
func podTemplateOf(kind string, raw []byte) (podTemplate, bool, error) {
	switch kind {
	case "Pod":
		return decode(raw, func(o *corev1.Pod) (*metav1.ObjectMeta, *corev1.PodSpec) { return &o.ObjectMeta, &o.Spec })
	case "Deployment":
		return decode(raw, func(o *appsv1.Deployment) (*metav1.ObjectMeta, *corev1.PodSpec) {
			return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
		})
	case "StatefulSet":
		return decode(raw, func(o *appsv1.StatefulSet) (*metav1.ObjectMeta, *corev1.PodSpec) {
			return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
		})
	case "DaemonSet":
		return decode(raw, func(o *appsv1.DaemonSet) (*metav1.ObjectMeta, *corev1.PodSpec) {
			return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
		})
	case "Job":
		return decode(raw, func(o *batchv1.Job) (*metav1.ObjectMeta, *corev1.PodSpec) {
			return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
		})
	case "CronJob":
		return decode(raw, func(o *batchv1.CronJob) (*metav1.ObjectMeta, *corev1.PodSpec) {
			t := &o.Spec.JobTemplate.Spec.Template
			return &t.ObjectMeta, &t.Spec
		})
	}
	return podTemplate{}, false, nil
}

func main() {
	version := flag.String("version", "v1.35", "Pod Security Standards version to evaluate (vMAJOR.MINOR or latest)")
	flag.Parse()
	v, err := psaapi.ParseVersion(*version)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pss-check: bad -version %q: %v\n", *version, err)
		os.Exit(2)
	}
	level := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: v}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pss-check: %v\n", err)
		os.Exit(2)
	}

	decoder := utilyaml.NewYAMLOrJSONDecoder(os.Stdin, 4096)
	pods, failed := 0, 0
	for {
		var doc map[string]any
		if err := decoder.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			fmt.Fprintf(os.Stderr, "pss-check: cannot parse manifest: %v\n", err)
			os.Exit(2)
		}
		if doc == nil {
			continue
		}
		kind, _ := doc["kind"].(string)
		name := ""
		if m, ok := doc["metadata"].(map[string]any); ok {
			name, _ = m["name"].(string)
		}
		raw, _ := json.Marshal(doc)
		tpl, ok, err := podTemplateOf(kind, raw)
		if err != nil {
			fmt.Fprintf(os.Stderr, "pss-check: %s/%s: cannot decode: %v\n", kind, name, err)
			os.Exit(2)
		}
		if !ok {
			continue
		}
		pods++
		for _, r := range evaluator.EvaluatePod(level, tpl.meta, tpl.spec) {
			if !r.Allowed {
				failed++
				fmt.Printf("%s/%s: %s: %s\n", kind, name, r.ForbiddenReason, r.ForbiddenDetail)
			}
		}
	}
	if pods == 0 {
		fmt.Fprintln(os.Stderr, "pss-check: no pod template found in the input")
		os.Exit(2)
	}
	if failed > 0 {
		os.Exit(1)
	}
	fmt.Printf("pss-check: %d pod template(s) pass restricted@%s\n", pods, *version)
}
